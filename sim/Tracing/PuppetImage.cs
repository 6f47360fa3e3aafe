using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.X86;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// The program of a puppet process in a trace-driven replay: no user code, only the recorded thread's steps. Each
/// thread of the process looks up the script of its tid (the kernel is deterministic, so tids and addresses come
/// out as recorded), makes the recorded number of scheduling points, writes the recorded input bytes into its memory
/// and re-issues each recorded syscall with the recorded arguments, checking the result. Handlers the kernel runs
/// on it replay the recorded handler runs and return the recorded accept/abandon. A puppet exports service objects
/// as the recorded process did (the same rpc_export, the recorded vtable and name bytes), and when the kernel runs one
/// of their methods on a calling thread, it replays the recorded method run on that thread (its syscalls, faults and
/// nested calls) and returns the recorded result. A puppet loads its program's memory layout first (an x86-64
/// binary's segments and stack with argv, a C# program's runtime area with its startup block), as the recorded
/// process had it without any syscall, but runs none of its code.
/// </summary>
internal sealed class PuppetImage(PuppetPlan plan, string program, IPuppetObserver observer, ProgramImage? layout = null) : ProgramImage
{
    private int _loads;

    /// <inheritdoc />
    public override string Name => $"puppet:{program}";

    /// <inheritdoc />
    public override ErrorCode Load(Process process, out ulong entry, out ulong argument)
    {
        TraceEvent? start = plan.MainStart(process.Pid, _loads++);
        entry = start?.Event.A0 ?? 0;
        argument = start?.Event.A1 ?? 0;
        return layout is null ? ErrorCode.Ok : layout.Load(process, out _, out _);
    }

    /// <inheritdoc />
    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) => plan.IsValidEntry(process.Pid, entry, kind);

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        ThreadScript? script = plan.Thread(thread.Tid);
        if (script is null)
        {
            observer.Problem(thread.Kernel, $"the kernel started tid {thread.Tid} (pid {thread.Process.Pid}), which the recording does not have");
            return 0;
        }
        return Execute(thread, script.Body, BlockKind.Body);
    }

    /// <inheritdoc />
    public override long RunUpcall(SimThread thread, ulong entry, in UpcallArgs args)
    {
        if (plan.NextHandler(thread.Tid) is not { } block)
        {
            observer.Problem(thread.Kernel, $"the kernel runs a handler (type {args.A1}) on tid {thread.Tid}, where the recording ran none");
            return 0;
        }
        long saved = thread.InstructionsRetired;
        long result = Execute(thread, block, BlockKind.Handler);
        thread.InstructionsRetired = saved;
        return result;
    }

    /// <inheritdoc />
    /// <remarks>As the recorded image could (C# and x86 programs both export).</remarks>
    public override bool CanExportServices => layout?.CanExportServices ?? true;

    /// <inheritdoc />
    public override long RunService(SimThread thread, ulong entry, int method, in RpcArgs args)
    {
        // The kernel checked the object, method and argument count for real; the method's body is the recording's.
        if (plan.NextCall(thread.Tid) is not { } block)
        {
            observer.Problem(thread.Kernel, $"the kernel runs method {method} of a service of pid {thread.Process.Pid} on tid {thread.Tid}, where the recording made no call");
            return 0;
        }
        // An x86 method runs on a stack its process maps on demand: take it as the recorded call did, so the callee's
        // mappings (and MPU regions) stay as recorded.
        return layout is X86Program x86
            ? x86.OnServiceStack(thread, _ => Execute(thread, block, BlockKind.Call))
            : Execute(thread, block, BlockKind.Call);
    }

    private long Execute(SimThread thread, PuppetBlock block, BlockKind kind)
    {
        int made = 0; // scheduling points made toward the next step
        while (true)
        {
            if (plan.Peek(block) is not { } step)
            {
                // The recording ends inside this block (the thread was killed, or it exited by syscall): nothing more to do.
                if (block.Closed) return 0;
                // Not read yet: the step lies past the plan's window, so it is not due; make a point and look again.
                thread.InstructionPoint();
                made++;
                continue;
            }
            for (; made < step.Ticks; made++) thread.InstructionPoint();
            made = 0;
            block.Steps.Dequeue();
            switch (step)
            {
                case SyscallStep s:
                    Issue(thread, s);
                    break;
                case FaultStep f:
                    Fault(thread, f.Fault.Event);
                    return 0; // not reached: a fault unwinds the thread
                case ReturnStep r:
                    // A page-send handler's recorded result is 1 or 0, a segment handler's its reply (never below 0).
                    return r.Value;
            }
        }
    }

    private void Issue(SimThread thread, SyscallStep step)
    {
        KernelEvent enter = step.Enter.Event;
        TraceEvent? exit = plan.ExitOf(step);
        if (exit?.Io is { } io)
            foreach (IoSegment segment in io.Segments)
            {
                if (segment.Written) continue;
                if (segment.Bytes is null)
                    observer.Note($"event #{exit.Event.Seq}: the trace keeps only a digest of the {segment.Length} bytes this syscall read; the puppet cannot supply them");
                else if (!AlreadyHolds(thread, segment) && !thread.Space.TryWrite(segment.Address, segment.Bytes, out _))
                    observer.Note($"event #{exit.Event.Seq}: the puppet could not place the syscall's input bytes at 0x{segment.Address:x}");
            }
        thread.InstructionsRetired = enter.Instructions;
        long result = thread.Syscall(enter.Code, enter.A0, enter.A1, enter.A2, enter.A3, enter.A4, enter.A5);
        observer.Issued();
        plan.ReadAhead(); // past the exit the kernel just emitted
        if (step.Exit is null)
            observer.Problem(thread.Kernel, string.Create(CultureInfo.InvariantCulture, $"syscall event #{enter.Seq} returned {result}; in the recording it never returned"));
        else if (result != step.Exit.Event.Result)
            observer.Problem(thread.Kernel, $"syscall event #{step.Exit.Event.Seq} returned {EventFormatter.FormatResult(result)}, recorded {EventFormatter.FormatResult(step.Exit.Event.Result)}");
    }

    // Bytes a syscall read from read-only memory (a C string in .rodata) are there already: nothing to place.
    private static bool AlreadyHolds(SimThread thread, IoSegment segment)
    {
        var current = new byte[segment.Bytes!.Length];
        return thread.Space.TryRead(segment.Address, current, out _) && current.AsSpan().SequenceEqual(segment.Bytes);
    }

    // Memory faults are re-made as accesses, so the kernel's protection is checked again; other faults are raised.
    private void Fault(SimThread thread, KernelEvent fault)
    {
        var reason = (FaultReason)fault.Code;
        var access = (AccessKind)fault.A1;
        if (reason is FaultReason.IllegalInstruction or FaultReason.DivideError or FaultReason.GeneralProtection or FaultReason.UserException or FaultReason.Runaway or FaultReason.SimdFloatingPoint)
        {
            thread.Kernel.RaiseFault(thread, reason, fault.A0, fault.Text ?? "");
            return;
        }
        // The record has no access size: a wide access can fault where its first byte would not (one that wraps past
        // the top of the address space is NonCanonical), so try the sizes a load or store has until one is refused alike.
        MemoryFault refused = default;
        bool allowed = true;
        foreach (ulong size in (ReadOnlySpan<ulong>)[1, 2, 4, 8])
        {
            allowed = thread.Space.CheckRange(fault.A0, size, access, out refused);
            if (!allowed && refused.Reason == reason) break;
        }
        if (allowed)
        {
            observer.Problem(thread.Kernel, $"event #{fault.Seq}: the recorded faulting {access.ToString().ToLowerInvariant()} at 0x{fault.A0:x} is allowed now");
            refused = new MemoryFault(fault.A0, access, reason);
        }
        thread.Kernel.RaiseFault(thread, refused, fault.Text ?? "");
    }
}

/// <summary>What a puppet block is run as.</summary>
internal enum BlockKind
{
    /// <summary>A thread body: returns the exit code.</summary>
    Body,
    /// <summary>A page-send handler: returns 1 (accept) or 0 (abandon).</summary>
    Handler,
    /// <summary>An RPC method: returns the method's result.</summary>
    Call,
}

/// <summary>Where puppets report: problems become divergences, notes are limits of the trace.</summary>
internal interface IPuppetObserver
{
    /// <summary>A puppet's check failed (reported as a divergence at the kernel's current event).</summary>
    void Problem(Kernel kernel, string problem);

    /// <summary>Something the puppet could not do exactly (reported, not a divergence).</summary>
    void Note(string note);

    /// <summary>A recorded syscall was re-issued.</summary>
    void Issued();
}
