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

    // The entry held back for the record sinks (its sequence number is taken): valid while _entryHeld.
    private bool _entryHeld;
    private long _heldSeq;
    private long _heldTick;
    private long _heldInstructions;
    private int _heldPid, _heldTid; // not the thread itself: a reference store costs a GC write barrier per syscall
    private long _heldNumber;
    private SyscallArgs _heldArgs;

    /// <summary>Adds a listener to the event stream.</summary>
    public void AddSink(IEventSink sink)
    {
        ReleaseHeldEntry();
        _sinks.Add(sink);
        if (sink.TakesSyscallRecords) _recordSinks = [.. _recordSinks, sink];
        else _eventSinks = [.. _eventSinks, sink];
    }

    // A syscall entered (tracing only): the event sinks get its entry now, the record sinks later. Returns its
    // sequence number, which the exit needs to know whether its entry is still held.
    // Out of line, as SyscallReturned: inlined, their event locals made every syscall's frame bigger, traced or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long SyscallEntered(SimThread caller, long number, in SyscallArgs args)
    {
        ReleaseHeldEntry(); // a syscall inside a syscall (an RPC callee's, a handler's): the outer entry goes first
        long seq = _nextSeq++;
        long tick = Scheduler.Now, instructions = caller.InstructionsRetired;
        IEventSink[] eager = _eventSinks;
        if (eager.Length > 0)
        {
            var e = new KernelEvent
            {
                Seq = seq, Tick = tick, Pid = caller.Process.Pid, Tid = caller.Tid, Kind = EventKind.SyscallEnter, Code = number,
                A0 = args.A0, A1 = args.A1, A2 = args.A2, A3 = args.A3, A4 = args.A4, A5 = args.A5, Instructions = instructions,
            };
            for (int i = 0; i < eager.Length; i++) eager[i].Emit(in e);
        }
        if (_recordSinks.Length > 0)
        {
            _entryHeld = true;
            _heldSeq = seq;
            _heldTick = tick;
            _heldInstructions = instructions;
            _heldPid = caller.Process.Pid;
            _heldTid = caller.Tid;
            _heldNumber = number;
            _heldArgs = args;
        }
        return seq;
    }

    // The syscall whose entry was event `entrySeq` returns `result`.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SyscallReturned(SimThread caller, long number, in SyscallArgs args, long result, long entrySeq)
    {
        IReadOnlyList<UserIo>? io = caller.SyscallIo is { Count: > 0 } record ? record : null;
        long seq = _nextSeq++, tick = Scheduler.Now, instructions = caller.InstructionsRetired;
        IEventSink[] fused = _recordSinks;
        if (_entryHeld && _heldSeq == entrySeq && _heldTick == tick && _heldInstructions == instructions)
        {
            // Nothing happened between the entry and now: one record.
            _entryHeld = false;
            var r = new SyscallRecord(entrySeq, tick, caller.Process.Pid, caller.Tid, number, args, result, instructions, io);
            for (int i = 0; i < fused.Length; i++) fused[i].EmitSyscall(in r);
            if (_eventSinks.Length > 0) Deliver(_eventSinks, r.Exit);
            return;
        }
        ReleaseHeldEntry(); // its own entry, held while time passed (a sleep with nobody else to run)
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
        if (!_entryHeld) return;
        _entryHeld = false;
        Deliver(_recordSinks, new KernelEvent
        {
            Seq = _heldSeq, Tick = _heldTick, Pid = _heldPid, Tid = _heldTid, Kind = EventKind.SyscallEnter,
            Code = _heldNumber, A0 = _heldArgs.A0, A1 = _heldArgs.A1, A2 = _heldArgs.A2, A3 = _heldArgs.A3, A4 = _heldArgs.A4,
            A5 = _heldArgs.A5, Instructions = _heldInstructions,
        });
    }

    private static void Deliver(IEventSink[] sinks, in KernelEvent e)
    {
        for (int i = 0; i < sinks.Length; i++) sinks[i].Emit(in e);
    }
}
