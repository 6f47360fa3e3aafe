using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The program image of a C# program: to the kernel, "code addresses" are entries of a table this image keeps
/// (main at <see cref="CodeBase"/>, thread bodies registered by <see cref="Sys.CreateThread"/> after it), so
/// thread_create takes an entry number like any other ABI would take a function pointer.
/// </summary>
public sealed class ManagedProgram : ProgramImage
{
    /// <summary>The "address" of main; further entries follow every 16 bytes.</summary>
    public const ulong CodeBase = 0x400000;

    /// <summary>Bytes of the per-process console scratch area, shared out in per-thread slots.</summary>
    internal const int ScratchSlots = 64, ScratchSlotSize = 256;

    private readonly Func<UserProgram> _factory;
    private LoadedImage _loaded = new(null!);

    /// <summary>Makes an image named <paramref name="name"/> whose processes run what <paramref name="factory"/> makes.</summary>
    public ManagedProgram(string name, Func<UserProgram> factory)
    {
        Name = name;
        _factory = factory;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override ErrorCode Load(Process process, out ulong entry, out ulong argument)
    {
        // A restart loads again: threads of the previous run still unwinding keep their own (dead) state.
        UserProgram program;
        try
        {
            program = _factory(); // the program's constructor is user code too
        }
        catch (Exception e) when (ThrownByUserCode(e))
        {
            throw new UserCodeException(e);
        }
        _loaded = new LoadedImage(program);
        entry = CodeBase;
        argument = 0;
        return ErrorCode.Ok;
    }

    /// <inheritdoc />
    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) =>
        entry >= CodeBase + 16 && (entry - CodeBase) % 16 == 0 && (entry - CodeBase) / 16 <= (ulong)_loaded.Entries.Count
        && _loaded.Entries[(int)((entry - CodeBase) / 16) - 1] is var body
        && kind switch
        {
            EntryKind.Thread => body is Func<Sys, ulong, long>,
            EntryKind.Handler => body is Func<Sys, PageMessage, bool>,
            _ => body is ServiceBinding,
        };

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        LoadedImage loaded = _loaded;
        var sys = new Sys(thread, loaded);
        Sys? outer = Sys.Enter(sys);
        try
        {
            if (entry == CodeBase) return loaded.Program.Main(sys);
            return ((Func<Sys, ulong, long>)loaded.Entries[(int)((entry - CodeBase) / 16) - 1])(sys, argument);
        }
        catch (Exception e) when (ThrownByUserCode(e))
        {
            throw new UserCodeException(e);
        }
        finally
        {
            sys.ReleaseScratch();
            Sys.Leave(outer);
        }
    }

    /// <inheritdoc />
    public override long RunUpcall(SimThread thread, ulong entry, in UpcallArgs args)
    {
        // The handler runs on the interrupted thread, with a Sys of its own (its own console scratch slot).
        var handler = (Func<Sys, PageMessage, bool>)_loaded.Entries[(int)((entry - CodeBase) / 16) - 1];
        var sys = new Sys(thread, _loaded);
        Sys? outer = Sys.Enter(sys);
        try
        {
            return handler(sys, new PageMessage((int)args.A0, args.A1, args.A2, args.A3, (Ipc.PageSend.SendFlags)args.A4)) ? 1 : 0;
        }
        catch (Exception e) when (ThrownByUserCode(e))
        {
            throw new UserCodeException(e);
        }
        finally
        {
            sys.ReleaseScratch();
            Sys.Leave(outer);
        }
    }

    /// <inheritdoc />
    public override bool CanExportServices => true;

    // The image boundary: what escapes the program's code here is the program's, except the kernel's own unwinding
    // (a kill, a panic) passing through it, and a handler's exception the kernel already charged to the program.
    private static bool ThrownByUserCode(Exception e) => e is not (ThreadTerminatedException or KernelPanicException or UserCodeException);

    /// <inheritdoc />
    public override long RunService(SimThread thread, ulong entry, int method, in RpcArgs args)
    {
        // The method runs on the caller's thread, acting for this process: a Sys over this image's state, so its
        // console slot, thread entries and Rpc.Sys are the callee's.
        var binding = (ServiceBinding)_loaded.Entries[(int)((entry - CodeBase) / 16) - 1];
        var sys = new Sys(thread, _loaded);
        Sys? outer = Sys.Enter(sys);
        try
        {
            return binding.Invoke(method, args);
        }
        catch (Exception e) when (ThrownByUserCode(e))
        {
            throw new UserCodeException(e);
        }
        finally
        {
            sys.ReleaseScratch();
            Sys.Leave(outer);
        }
    }
}

/// <summary>The state of one load of a C# program: its instance, thread entries and console scratch slots.</summary>
internal sealed class LoadedImage
{
    private readonly Stack<int> _freeSlots = new();
    private ulong _scratchBase;

    public LoadedImage(UserProgram program)
    {
        Program = program;
        for (int i = ManagedProgram.ScratchSlots - 1; i >= 0; i--) _freeSlots.Push(i);
    }

    public UserProgram Program { get; }

    // Thread bodies, handlers (delegates) and exported service objects (ServiceBinding).
    public List<object> Entries { get; } = [];

    public ulong RegisterEntry(object body)
    {
        Entries.Add(body);
        return ManagedProgram.CodeBase + 16 * (ulong)Entries.Count;
    }

    public bool TryTakeSlot(Sys sys, out ulong address)
    {
        address = 0;
        if (_scratchBase == 0)
        {
            long mapped = sys.Syscall(SyscallNumber.Map, 0, ManagedProgram.ScratchSlots * ManagedProgram.ScratchSlotSize, (ulong)Protection.ReadWrite);
            if (mapped < 0) return false;
            _scratchBase = (ulong)mapped;
        }
        if (_freeSlots.Count == 0) return false;
        address = _scratchBase + (ulong)(_freeSlots.Pop() * ManagedProgram.ScratchSlotSize);
        return true;
    }

    public void ReturnSlot(ulong address) => _freeSlots.Push((int)((address - _scratchBase) / ManagedProgram.ScratchSlotSize));
}
