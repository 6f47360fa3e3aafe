using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Ipc.Rpc;

/// <summary>
/// RPC with temporary grants (docs/rpc.md). A process exports service objects; rpc_call checks the
/// object, the method and its argument count, then runs the method on the caller's own thread, which for the
/// duration acts for the callee process and sees, through a <see cref="GrantSpace"/>, the callee's memory and the
/// caller's SHARED buffers and nothing else of the caller. Return, a callee fault or the callee's death revoke the
/// grant; calls nest up to <see cref="MaxDepth"/>.
/// </summary>
internal sealed class RpcIpc : IIpcFamily
{
    /// <summary>Deepest nesting of calls on one thread.</summary>
    public const int MaxDepth = 8;

    /// <summary>Most methods one service object may have.</summary>
    public const ulong MaxMethods = 32;

    /// <summary>Most arguments one method may take (a0..a3 of rpc_call).</summary>
    public const int MaxArgs = 4;

    /// <summary>Longest service name, in bytes.</summary>
    public const ulong MaxName = 32;

    /// <summary>Most live service objects one process may export.</summary>
    public const int MaxObjectsPerProcess = 16;

    /// <summary>Largest SHARED buffer one rpc_shared call maps (64 MiB).</summary>
    public const ulong MaxSharedBytes = 64UL << 20;

    private const ArgFormat I = ArgFormat.Int, H = ArgFormat.Hex;
    private readonly Kernel _kernel;
    private readonly List<ServiceObject?> _objects = [];   // handle - 1 -> object; null once withdrawn
    private readonly List<CallFrame> _active = [];          // every call in progress, on every thread
    // Grants of finished calls, kept (unloaded, used by no thread) so the next call between the same two spaces
    // skips building page tables; dropped as soon as either space changes its mappings or dies. A list, not a
    // dictionary: it is short, and its order must not depend on hashing.
    private readonly List<GrantSpace> _idle = [];
    private readonly RpcWindow _window = new();

    public RpcIpc(Kernel kernel)
    {
        _kernel = kernel;
        SyscallTable t = kernel.Syscalls;
        t.Register(new((long)SyscallNumber.RpcExport, "rpc_export", [("entry", H), ("vtable", H), ("nmethods", I), ("name", H), ("namelen", I)],
            (SimThread c, in SyscallArgs a) => Export(c, a.A0, a.A1, a.A2, a.A3, a.A4))
        { Errors = [ErrorCode.NotPermitted, ErrorCode.InvalidArgument, ErrorCode.BadAddress, ErrorCode.NameInUse, ErrorCode.LimitReached] });
        t.Register(new((long)SyscallNumber.RpcCall, "rpc_call", [("object", I), ("method", ArgFormat.RpcMethod), ("a0", H), ("a1", H), ("a2", H), ("a3", H)],
            (SimThread c, in SyscallArgs a) => Call(c, a))
        { Errors = [ErrorCode.NoSuchObject, ErrorCode.ServiceRestarting, ErrorCode.InvalidArgument, ErrorCode.NoSuchMethod, ErrorCode.BadArgCount, ErrorCode.NestingTooDeep, ErrorCode.NoMpuRegion, ErrorCode.OutOfMemory, ErrorCode.PeerFaulted] });
        t.Register(new((long)SyscallNumber.RpcShared, "rpc_shared", [("length", I)], (SimThread c, in SyscallArgs a) => Shared(c, a.A0), H)
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.OutOfMemory, ErrorCode.NoMpuRegion] });
        t.Register(new((long)SyscallNumber.RpcUnexport, "rpc_unexport", [("object", I)], (SimThread c, in SyscallArgs a) => Unexport(c, a.A0))
        { Errors = [ErrorCode.NoSuchObject, ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.RpcLookup, "rpc_lookup", [("name", H), ("namelen", I)], (SimThread c, in SyscallArgs a) => Lookup(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress, ErrorCode.NoSuchObject, ErrorCode.ServiceRestarting] });
    }

    public RpcStats Stats { get; } = new();

    /// <summary>The object with <paramref name="handle"/>, or null.</summary>
    public ServiceObject? Find(ulong handle) => handle >= 1 && handle <= (ulong)_objects.Count ? _objects[(int)handle - 1] : null;

    private long Export(SimThread caller, ulong entry, ulong vtable, ulong methods, ulong nameAddress, ulong nameLength)
    {
        Process p = caller.Process;
        if (!p.Image.CanExportServices) return (long)ErrorCode.NotPermitted;
        if (methods == 0 || methods > MaxMethods || nameLength > MaxName) return (long)ErrorCode.InvalidArgument;
        if (!p.Image.IsValidService(p, entry, (int)methods)) return (long)ErrorCode.InvalidArgument;
        var argCounts = new byte[methods];
        if (!_kernel.CopyFromUser(caller, vtable, argCounts)) return (long)ErrorCode.BadAddress;
        if (argCounts.Any(n => n > MaxArgs)) return (long)ErrorCode.InvalidArgument;
        string? name = null;
        if (nameLength > 0)
        {
            ErrorCode e = _kernel.CopyNameFromUser(caller, nameAddress, nameLength, out name);
            if (e != ErrorCode.Ok) return (long)e;
        }
        ServiceObject? existing = name is null ? null : FindByName(name);
        if (existing is not null)
        {
            // Hubris-style: a restarted service that exports its name again gets its old handle back, so clients
            // holding it simply retry.
            if (existing.State != ServiceState.Restarting || existing.Owner != p) return (long)ErrorCode.NameInUse;
            existing.Entry = entry;
            existing.ArgCounts = argCounts;
            existing.State = ServiceState.Live;
            return (long)existing.Handle;
        }
        if (_objects.Count(o => o?.Owner == p) >= MaxObjectsPerProcess) return (long)ErrorCode.LimitReached;
        var obj = new ServiceObject((ulong)_objects.Count + 1, p, name, entry, argCounts);
        _objects.Add(obj);
        return (long)obj.Handle;
    }

    private long Unexport(SimThread caller, ulong handle)
    {
        ServiceObject? o = Find(handle);
        if (o is null) return (long)ErrorCode.NoSuchObject;
        if (o.Owner != caller.Process) return (long)ErrorCode.NotPermitted;
        // Calls in progress keep their reference and finish; new ones get NoSuchObject.
        _objects[(int)handle - 1] = null;
        return 0;
    }

    private long Lookup(SimThread caller, ulong nameAddress, ulong nameLength)
    {
        if (nameLength == 0 || nameLength > MaxName) return (long)ErrorCode.InvalidArgument;
        ErrorCode e = _kernel.CopyNameFromUser(caller, nameAddress, nameLength, out string name);
        if (e != ErrorCode.Ok) return (long)e;
        ServiceObject? o = FindByName(name);
        if (o is null) return (long)ErrorCode.NoSuchObject;
        return o.State == ServiceState.Restarting ? (long)ErrorCode.ServiceRestarting : (long)o.Handle;
    }

    private long Shared(SimThread caller, ulong length)
    {
        if (length == 0 || length > MaxSharedBytes) return (long)ErrorCode.InvalidArgument;
        // The space puts the buffer where its model needs it (paging: window addresses no other process uses).
        ErrorCode e = caller.Process.AddressSpace.MapShared(length, _window, out ulong mapped);
        return e == ErrorCode.Ok ? (long)mapped : (long)e;
    }

    private long Call(SimThread t, in SyscallArgs a)
    {
        ErrorCode refused = Check(t, a.A0, a.A1, out ServiceObject? target);
        if (refused != ErrorCode.Ok)
        {
            Stats.Refused++;
            return (long)refused;
        }
        int method = (int)(a.A1 & 0xFFFF), argc = (int)(a.A1 >> 16);
        Process caller = t.Process, callee = target!.Owner;
        ErrorCode built = TakeGrant(callee.AddressSpace, caller.AddressSpace, out GrantSpace? grant, out int regionsNeeded);
        if (built != ErrorCode.Ok)
        {
            Stats.Refused++;
            if (built == ErrorCode.NoMpuRegion)
            {
                Stats.RegionRefusals++;
                Stats.LastRegionsNeeded = regionsNeeded;
            }
            return (long)built;
        }
        var frame = new CallFrame(t, target, method, t.RpcFrames.Count + 1, caller, t.Space, grant!);
        Enter(frame);
        long result;
        long exitCode = t.ExitCode;
        try
        {
            result = callee.Image.RunService(t, target.Entry, method, new RpcArgs(argc, a.A2, a.A3, a.A4, a.A5));
            t.ReturnedFromUserCode();
            if (frame.Aborted) result = (long)ErrorCode.PeerFaulted;
        }
        catch (ThreadTerminatedException)
        {
            // The callee faulted (its policy ran), exited or was killed; or this thread itself is being killed,
            // which the check after the cleanup sees.
            result = (long)ErrorCode.PeerFaulted;
        }
        catch (UserCodeException e)
        {
            // The service method's own exception is the callee's crash, not the kernel's (any other exception is a
            // kernel bug: it goes on to the syscall entry, which panics).
            if (!frame.Aborted && !t.Killed) _kernel.UserCrashed(t, e.Thrown);
            result = (long)ErrorCode.PeerFaulted;
        }
        finally
        {
            Leave(frame);
        }
        t.ReturnedFromUserCode();
        if (t.MustUnwind) throw t.Terminating();
        t.ExitCode = exitCode;
        if (result == (long)ErrorCode.PeerFaulted) Stats.CalleeFaults++;
        EmitReturn(frame, result);
        return result;
    }

    // Every check before anything runs; nothing changes on error.
    private ErrorCode Check(SimThread t, ulong handle, ulong methodWord, out ServiceObject? target)
    {
        target = Find(handle);
        if (target is null || target.Owner.State != ProcessState.Running) return ErrorCode.NoSuchObject;
        if (target.State == ServiceState.Restarting) return ErrorCode.ServiceRestarting;
        if (methodWord >> 32 != 0) return ErrorCode.InvalidArgument;
        ulong method = methodWord & 0xFFFF, argc = methodWord >> 16;
        if (method >= (ulong)target.ArgCounts.Length) return ErrorCode.NoSuchMethod;
        if (argc != target.ArgCounts[method]) return ErrorCode.BadArgCount;
        if (t.RpcFrames.Count >= MaxDepth) return ErrorCode.NestingTooDeep;
        return ErrorCode.Ok;
    }

    // A current idle grant between the two spaces, else a new one.
    private ErrorCode TakeGrant(AddressSpace callee, AddressSpace caller, out GrantSpace? grant, out int regionsNeeded)
    {
        for (int i = 0; i < _idle.Count; i++)
        {
            GrantSpace g = _idle[i];
            if (!ReferenceEquals(g.Callee, callee) || !ReferenceEquals(g.Caller, caller)) continue;
            _idle.RemoveAt(i);
            // Unchanged spaces: the grant still fits the hardware it fitted when built.
            if (g.IsCurrent)
            {
                Stats.GrantsReused++;
                grant = g;
                regionsNeeded = g.MpuRegions;
                return ErrorCode.Ok;
            }
            g.Release();
            break;
        }
        ErrorCode e = callee.TryCreateGrant(caller, out grant, out regionsNeeded);
        if (e != ErrorCode.Ok) return e;
        grant!.BuiltAt = (callee.Generation, caller.Generation);
        Stats.GrantsBuilt++;
        return e;
    }

    // The thread starts acting for the callee, through the grant.
    private void Enter(CallFrame frame)
    {
        SimThread t = frame.Thread;
        t.RpcFrames.Add(frame);
        _active.Add(frame);
        Stats.Calls++;
        Stats.ActiveGrants++;
        Stats.MaxDepth = Math.Max(Stats.MaxDepth, frame.Depth);
        Stats.LastMpuRegions = frame.Grant.MpuRegions;
        Stats.MaxMpuRegions = Math.Max(Stats.MaxMpuRegions, frame.Grant.MpuRegions);
        Stats.SharedPagesGranted += frame.Grant.SharedPages;
        frame.Target.Calls++;
        Process callee = frame.Target.Owner;
        if (_kernel.Tracing)
            _kernel.Emit(new KernelEvent
            {
                Pid = callee.Pid, Tid = t.Tid, Kind = EventKind.RpcEnter, A0 = frame.Target.Handle, A1 = (ulong)frame.Method,
                A2 = (ulong)frame.Depth, A3 = (ulong)frame.Grant.MpuRegions, A4 = (ulong)frame.Caller.Pid, A5 = (ulong)frame.Grant.SharedPages,
            });
        t.Process = callee;
        t.Space = frame.Grant;
        frame.Grant.Activate();
    }

    // Every exit path: the thread acts for the caller again, sees what it saw before, and the grant is gone.
    /// <summary>
    /// Ends every call of a thread the kernel gave up on (a runaway the watchdog stopped): its host thread will never
    /// return through them, so the kernel leaves them here, innermost first.
    /// </summary>
    internal void AbandonCalls(SimThread t)
    {
        while (t.RpcFrames.Count > 0) Leave(t.RpcFrames[^1]);
    }

    private void Leave(CallFrame frame)
    {
        SimThread t = frame.Thread;
        // Left already: the watchdog ended an abandoned thread's calls, and its host thread, unwinding late, changes nothing.
        if (frame.Left) return;
        frame.Left = true;
        t.RpcFrames.RemoveAt(t.RpcFrames.Count - 1);
        _active.Remove(frame);
        bool aborted = false;
        foreach (CallFrame f in t.RpcFrames) aborted |= f.Aborted;
        t.RpcAborted = aborted;
        t.Process = frame.Caller;
        t.Space = frame.PreviousSpace;
        Stats.ActiveGrants--;
        // Reloading the previous view is the revocation: the grant is no thread's view any more (CR3 switch, TLB
        // flushed, or the caller's regions reprogrammed). Its tables may serve the next call between the same spaces.
        if (ReferenceEquals(_kernel.Scheduler.Current, t)) t.Space.Activate();
        if (frame.Grant.IsCurrent) _idle.Add(frame.Grant);
        else frame.Grant.Release();
    }

    private void EmitReturn(CallFrame frame, long result)
    {
        if (_kernel.Tracing)
            _kernel.Emit(new KernelEvent
            {
                Pid = frame.Caller.Pid, Tid = frame.Thread.Tid, Kind = EventKind.RpcReturn, A0 = frame.Target.Handle,
                A1 = (ulong)frame.Method, A2 = (ulong)frame.Depth, Result = result,
            });
    }

    public bool TryDeliverOne(SimThread thread) => false;

    public void OnProcessExit(Process process)
    {
        // Calls into the dying process end now: their grants are revoked before its memory is freed, and their
        // threads unwind to the call at their next kernel entry.
        foreach (CallFrame f in _active.Where(f => f.Target.Owner == process && !f.Aborted).ToList())
        {
            f.Aborted = true;
            f.Grant.Revoke();
            SimThread t = f.Thread;
            t.RpcAborted = true;
            t.AccessBudget = 0;
            if (!ReferenceEquals(t, _kernel.Scheduler.Current)) _kernel.Scheduler.Interrupt(t);
        }
        // Cached grants over its memory go now, before that memory is freed.
        AddressSpace space = process.AddressSpace;
        for (int i = _idle.Count - 1; i >= 0; i--)
        {
            if (!ReferenceEquals(_idle[i].Callee, space) && !ReferenceEquals(_idle[i].Caller, space)) continue;
            _idle[i].Release();
            _idle.RemoveAt(i);
        }
        // A restart (the process stays Running) keeps its named objects for the new incarnation to claim.
        bool restarting = process.State == ProcessState.Running;
        for (int i = 0; i < _objects.Count; i++)
        {
            ServiceObject? o = _objects[i];
            if (o is null || o.Owner != process) continue;
            if (restarting && o.Name is not null) o.State = ServiceState.Restarting;
            else _objects[i] = null;
        }
    }

    public int PinnedReferences(ulong frame)
    {
        int n = 0;
        foreach (CallFrame f in _active) n += f.Grant.PinnedReferences(frame);
        foreach (GrantSpace g in _idle) n += g.PinnedReferences(frame);
        return n;
    }

    /// <summary>The family's invariant: no RPC grant outlives its call.</summary>
    public IEnumerable<Invariant> Invariants =>
    [
        new("rpc-grant-lifetime", "every RPC grant in use belongs to a call in progress on a live thread; cached grants join only live spaces; outside a call a thread acts only for its own process",
            GrantProblems),
    ];

    // Every live grant belongs to a call in progress on a live thread.
    private IEnumerable<string> GrantProblems()
    {
        if (Stats.ActiveGrants != _active.Count) yield return $"rpc: {Stats.ActiveGrants} grants in use but {_active.Count} calls in progress";
        foreach (GrantSpace g in _idle)
            if (g.IsRevoked || g.Callee.IsDestroyed || g.Caller.IsDestroyed) yield return "rpc: a cached grant over a dead space";
        // Outside a call a thread sees its own process's memory and nothing else (a killed thread of a restarted
        // process may still hold the old space while it unwinds).
        foreach (SimThread t in _kernel.Scheduler.LiveThreads)
            if (t.RpcFrames.Count == 0 && (t.Process != t.HomeProcess || (!t.Killed && !ReferenceEquals(t.Space, t.HomeProcess.AddressSpace))))
                yield return $"rpc: {t} is in no call but still acts for pid {t.Process.Pid} through {t.Space.GetType().Name}";
        foreach (CallFrame f in _active)
        {
            if (f.Thread.State == SimThreadState.Exited) yield return $"rpc: exited {f.Thread} still holds a grant into pid {f.Target.Owner.Pid}";
            if (!f.Thread.RpcFrames.Contains(f)) yield return $"rpc: a grant of {f.Thread} is not on its call stack";
        }
    }

    private ServiceObject? FindByName(string name) => _objects.FirstOrDefault(o => o?.Name == name);
}
