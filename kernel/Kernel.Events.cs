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

    // The syscall record being built for the record sinks, in place: its entry's fields are stored at the entry, its
    // result and I/O at the exit, and the sinks get it by reference. Valid while _entryHeld (its Seq is taken).
    private bool _entryHeld;
    private SyscallRecord _held;

    /// <summary>Adds a listener to the event stream.</summary>
    public void AddSink(IEventSink sink)
    {
        ReleaseHeldEntry();
        _sinks.Add(sink);
        if (sink.TakesSyscallRecords) _recordSinks = [.. _recordSinks, sink];
        else _eventSinks = [.. _eventSinks, sink];
    }

    // A syscall while anyone listens: its entry, the syscall, its exit, in one frame. Out of line: inlined in
    // Dispatch, its locals made every syscall's frame bigger, traced or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long TracedSyscall(SimThread caller, long number, SyscallInfo? info, in SyscallArgs args)
    {
        long entrySeq = SyscallEntered(caller, number, args);
        long result = Handle(caller, number, info, args);
        SyscallReturned(caller, number, args, result, entrySeq);
        caller.RecordingIo = false;
        return result;
    }

    // A syscall entered: the event sinks get its entry now, the record sinks later. Returns its sequence number,
    // which the exit needs to know whether its entry is still held.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long SyscallEntered(SimThread caller, long number, in SyscallArgs args)
    {
        ReleaseHeldEntry(); // a syscall inside a syscall (an RPC callee's, a handler's): the outer entry goes first
        long seq = _nextSeq++;
        caller.IoRecord.Clear();
        caller.RecordingIo = true;
        if (_recordSinks.Length > 0)
        {
            // Field by field: the record's I/O reference is not touched (a store of it costs a GC write barrier).
            _entryHeld = true;
            _held.Seq = seq;
            _held.Tick = Scheduler.Now;
            _held.Pid = caller.Process.Pid;
            _held.Tid = caller.Tid;
            _held.Code = number;
            _held.Args = args;
            _held.Instructions = caller.InstructionsRetired;
        }
        if (_eventSinks.Length > 0) EmitEntry(caller, seq, number, args);
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
    private void SyscallReturned(SimThread caller, long number, in SyscallArgs args, long result, long entrySeq)
    {
        long seq = _nextSeq++, tick = Scheduler.Now, instructions = caller.InstructionsRetired;
        UserIoRecord? io = caller.SyscallIo is { Count: > 0 } record ? record : null;
        if (_entryHeld && _held.Seq == entrySeq && _held.Tick == tick && _held.Instructions == instructions)
        {
            // Nothing happened between the entry and now: one record, the held one completed.
            _entryHeld = false;
            _held.Result = result;
            if (io is not null) _held.Io = io;
            else if (_held.Io is not null) _held.Io = null;
            IEventSink[] fused = _recordSinks;
            for (int i = 0; i < fused.Length; i++) fused[i].EmitSyscall(in _held);
            if (_eventSinks.Length > 0) EmitHeldExit();
            return;
        }
        EmitExit(caller, seq, tick, instructions, number, args, result, io);
    }

    // A syscall's exit as an event, for every sink: something happened since its entry (the entry was released), or
    // time passed in it (a sleep with nobody else to run: its own entry is still held, and goes first).
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
        for (int i = 0; i < _sinks.Count; i++) _sinks[i].Emit(in exit);
    }

    // Any other event is about to be delivered, or the run ends: the held entry goes to the record sinks first.
    private void ReleaseHeldEntry()
    {
        if (_entryHeld) ReleaseEntry();
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // out of line for the same reason as EmitExit
    private void ReleaseEntry()
    {
        _entryHeld = false;
        Deliver(_recordSinks, _held.Entry);
    }

    private static void Deliver(IEventSink[] sinks, in KernelEvent e)
    {
        for (int i = 0; i < sinks.Length; i++) sinks[i].Emit(in e);
    }
}
