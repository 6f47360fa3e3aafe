using System.Diagnostics;
using System.Runtime.CompilerServices;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel;

// How a syscall's entry and exit reach the sinks. A sink that takes syscall records (IEventSink.TakesSyscallRecords,
// the trace writer) gets the common case, a syscall with no other event between its entry and exit, as ONE record
// at the exit: the entry is only remembered when it happens (a few stores), and any other event first releases it as
// the entry event it is, so every sink sees the same events in the same order. The other sinks get both events as
// they happen. Why: building and handing out two events cost as much as the null syscall itself
// (docs/benchmarks.md, "Where a recorded null syscall's time goes").
public sealed partial class Kernel
{
    // The sinks that take syscall records, and the others; both in the order they were added.
    private IEventSink[] _recordSinks = [];
    private IEventSink[] _eventSinks = [];

    // Whether each list has a sink, as flags: read on every traced syscall (a flag is one load, a length two).
    private bool _holdsEntries;
    private bool _hasEventSinks;

    // The syscall record being built for the record sinks, in place: its entry's fields are stored at the entry, its
    // result and I/O at the exit, and the sinks get it by reference. Valid while _entryHeld (its Seq is taken).
    private bool _entryHeld;
    private SyscallRecord _held;

    // _held.Args, kept as a field of its own for the compare at the entry: the record's Args is a property, and
    // comparing with it copied its 48 bytes to the stack first.
    private SyscallArgs _heldArgs;

    // Repeats: a record equal to the last one handed to the record sinks in all but its time (a loop of getpid) is
    // counted here instead of handed out, and the run goes out in one call (IEventSink.EmitSyscallRepeats) before
    // anything else reaches the sinks. _last is the last record the sinks got (valid while _repeatable: it had no I/O
    // and no instruction count, and nothing reached the record sinks since); _repeats records follow it, each
    // _repeatStep ticks after the one before, the last at _repeatTick. Why: handing each one out (an interface call,
    // and the writer's own compare) cost more than the compare here (docs/benchmarks.md, "Repeats counted by the kernel").
    private bool _repeatable;
    private bool _heldRepeats; // the held entry repeats the call of _last (set at the entry)
    private SyscallRecord _last;
    private long _repeats;
    private long _repeatStep;
    private long _repeatTick;

    /// <summary>Adds a listener to the event stream.</summary>
    public void AddSink(IEventSink sink)
    {
        ReleaseHeldEntry();
        _sinks.Add(sink);
        if (!sink.TakesSyscalls) return; // it gets every other event, through _sinks
        if (sink.TakesSyscallRecords) _recordSinks = [.. _recordSinks, sink];
        else _eventSinks = [.. _eventSinks, sink];
        _holdsEntries = _recordSinks.Length > 0;
        _hasEventSinks = _eventSinks.Length > 0;
    }

    // A syscall while anyone listens: its entry, the syscall, its exit, inlined in the traced mode of Dispatch.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long TracedSyscall(SimThread caller, long number, SyscallInfo? info, in SyscallArgs args)
    {
        // A syscall that never copies user memory (getpid, an unknown number) leaves the I/O record alone.
        bool recordIo = info is { CopiesUserMemory: true };
        long entrySeq = SyscallEntered(caller, number, args, recordIo);
        long result = Handle(caller, number, info, args);
        SyscallReturned(caller, number, args, result, entrySeq, recordIo && caller.SyscallIo is { Count: > 0 } record ? record : null);
        // Off after every syscall, also one that recorded nothing: a syscall nested in this thread's own (an RPC
        // callee's) stops the enclosing one's recording, as it always did.
        caller.RecordingIo = false;
        return result;
    }

    // The same, out of line, for the untraced mode's rare case (a sink added while the syscall entered).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long TracedSyscallOutOfLine(SimThread caller, long number, SyscallInfo? info, in SyscallArgs args) =>
        TracedSyscall(caller, number, info, args);

    // A syscall entered: the event sinks get its entry now, the record sinks later. Returns its sequence number,
    // which the exit needs to know whether its entry is still held.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long SyscallEntered(SimThread caller, long number, in SyscallArgs args, bool recordIo)
    {
        if (_entryHeld) ReleaseNested(); // a syscall inside a syscall (an RPC callee's, a handler's): the outer entry goes first
        long seq = _nextSeq++;
        if (recordIo)
        {
            caller.IoRecord.Clear();
            caller.RecordingIo = true;
        }
        if (_holdsEntries)
        {
            // Field by field: the record's I/O reference is not touched (a store of it costs a GC write barrier).
            _entryHeld = true;
            _held.Seq = seq;
            _held.Tick = Scheduler.Now;
            _held.Instructions = caller.InstructionsRetired;
            int pid = caller.Process.Pid, tid = caller.Tid;
            // The same call as the entry held before (a loop): its fields are there already, and while the record
            // sinks got nothing since the last record, they are that record's, so this one may repeat it.
            if (_held.Code == number && _held.Tid == tid && _held.Pid == pid && SameArgs(_heldArgs, args)) _heldRepeats = _repeatable;
            else
            {
                _heldRepeats = false;
                _held.Pid = pid;
                _held.Tid = tid;
                _held.Code = number;
                _held.Args = args;
                _heldArgs = args;
            }
        }
        if (_hasEventSinks) EmitEntry(caller, seq, number, args);
        return seq;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitHeldExit() => Deliver(_eventSinks, _held.Exit);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitEntry(SimThread caller, long seq, long number, in SyscallArgs args) =>
        Deliver(_eventSinks, new KernelEvent
        {
            Seq = seq, Tick = Scheduler.Now, Pid = caller.Process.Pid, Tid = caller.Tid, Kind = EventKind.SyscallEnter, Code = number,
            A0 = args.A0, A1 = args.A1, A2 = args.A2, A3 = args.A3, A4 = args.A4, A5 = args.A5, Instructions = caller.InstructionsRetired,
        });

    // The syscall whose entry was event `entrySeq` returns `result`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SyscallReturned(SimThread caller, long number, in SyscallArgs args, long result, long entrySeq, UserIoRecord? io)
    {
        long tick = Scheduler.Now, instructions = caller.InstructionsRetired;
        if (_entryHeld && _held.Seq == entrySeq && _held.Tick == tick && _held.Instructions == instructions)
        {
            // Nothing happened between the entry and now: one record, the held one completed. The exit takes the
            // number after the entry's, stored without reading the counter back: every other event since the entry
            // would have released it (one store-to-load chain fewer per syscall).
            Debug.Assert(_nextSeq == entrySeq + 1, "no event took a number while the entry was held");
            _nextSeq = entrySeq + 2;
            _entryHeld = false;
            if (_heldRepeats && IsRepeat(result, io, tick)) CountRepeat(tick);
            else
            {
                _held.Result = result;
                HandOutHeld(io);
            }
            if (_hasEventSinks) EmitHeldExit();
            return;
        }
        EmitExit(caller, _nextSeq++, tick, instructions, number, args, result, io);
    }

    // The six arguments compared in two registers (the differences or-ed together): compared one by one, the JIT ran
    // out of registers and spilled them; loaded as vectors, the arguments just stored one by one (the caller built
    // them) could not be forwarded from the stores to the wide loads.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameArgs(in SyscallArgs a, in SyscallArgs b) =>
        ((a.A0 ^ b.A0) | (a.A1 ^ b.A1) | (a.A2 ^ b.A2) | (a.A3 ^ b.A3) | (a.A4 ^ b.A4) | (a.A5 ^ b.A5)) == 0;

    // A held call that repeats the last record's call (_heldRepeats) repeats the record: the same result (still in
    // _held), no I/O, no instruction count, and the same step in time as the repeats counted so far. Its sequence
    // number follows theirs: any other event in between would have cleared _repeatable.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsRepeat(long result, UserIoRecord? io, long tick) =>
        result == _held.Result && io is null && _held.Instructions == 0 && (_repeats == 0 || tick - _repeatTick == _repeatStep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CountRepeat(long tick)
    {
        Debug.Assert(_held.Seq == _last.Seq + 2 * (_repeats + 1), "a repeat follows the last record with no other event between");
        if (_repeats++ == 0) _repeatStep = tick - _last.Tick;
        _repeatTick = tick;
    }

    // The held record goes to the record sinks (after the repeats they are owed), and becomes the model of repeats
    // when a reader could repeat it exactly (no I/O, no instruction count).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void HandOutHeld(UserIoRecord? io)
    {
        if (_repeats > 0) HandOutRepeats();
        if (io is not null) _held.Io = io;
        else if (_held.Io is not null) _held.Io = null;
        IEventSink[] fused = _recordSinks;
        for (int i = 0; i < fused.Length; i++) fused[i].EmitSyscall(in _held);
        _repeatable = io is null && _held.Instructions == 0;
        if (_repeatable) _last = _held;
    }

    // The counted repeats go to the record sinks, in one call each; the last of them becomes the last record handed out.
    private void HandOutRepeats()
    {
        long n = _repeats, step = _repeatStep;
        _repeats = 0;
        IEventSink[] fused = _recordSinks;
        for (int i = 0; i < fused.Length; i++) fused[i].EmitSyscallRepeats(in _last, n, step);
        _last.Seq += 2 * n;
        _last.Tick += step * n;
    }

    // A syscall's exit as an event, for every sink: something happened since its entry, and that event released the
    // held entry (time passing inside a syscall is such an event too: a lone sleeper's idle jump emits Idle first).
    // The release here is a guard: nothing is held by then.
    // Out of line: its event local would make the common case's frame bigger (zeroed at every call).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitExit(SimThread caller, long seq, long tick, long instructions, long number, in SyscallArgs args, long result, UserIoRecord? io)
    {
        ReleaseHeldEntry();
        var exit = new KernelEvent
        {
            Seq = seq, Tick = tick, Pid = caller.Process.Pid, Tid = caller.Tid, Kind = EventKind.SyscallExit, Code = number,
            A0 = args.A0, A1 = args.A1, A2 = args.A2, A3 = args.A3, A4 = args.A4, A5 = args.A5, Result = result,
            Instructions = instructions, Io = io,
        };
        Deliver(_recordSinks, exit);
        Deliver(_eventSinks, exit);
    }

    // Any other event is about to be delivered, or the run ends: the counted repeats and the held entry go to the
    // record sinks first, and the next record repeats nothing.
    private void ReleaseHeldEntry()
    {
        if (_entryHeld || _repeats > 0) ReleaseEntry();
        _repeatable = false;
    }

    // A syscall enters while another's entry is held (an RPC callee's, a handler's): the same, out of line.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReleaseNested()
    {
        ReleaseEntry();
        _repeatable = false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // out of line for the same reason as EmitExit
    private void ReleaseEntry()
    {
        if (_repeats > 0) HandOutRepeats();
        if (!_entryHeld) return;
        _entryHeld = false;
        Deliver(_recordSinks, _held.Entry);
    }

    private static void Deliver(IEventSink[] sinks, in KernelEvent e)
    {
        for (int i = 0; i < sinks.Length; i++) sinks[i].Emit(in e);
    }
}
