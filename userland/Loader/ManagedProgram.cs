using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Loader;

/// <summary>
/// The program image of a C# program: to the kernel, "code addresses" are entries of a table this image keeps
/// (main at <see cref="CodeBase"/>, thread bodies registered by <see cref="Sys.CreateThread"/> after it), so
/// thread_create takes an entry number like any other ABI would take a function pointer. At each load it maps the
/// runtime area in the process's fresh memory and writes the startup block (<see cref="StartupBlock"/>) at its start,
/// as execve lays out argv; main's argument is the block's address. This class is host code: programs never see it.
/// </summary>
public sealed class ManagedProgram : ProgramImage
{
    /// <summary>The "address" of main; further entries follow every 16 bytes.</summary>
    public const ulong CodeBase = ProcessRuntime.CodeBase;

    private readonly Func<UserProgram> _factory;
    private LoadedImage? _loaded;

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
        entry = argument = 0;
        // Refused before anything is mapped: at most MaxArgs strings, in at most half the runtime area.
        if (process.Arguments.Count + 1 > StartupBlock.MaxArgs
            || StartupBlock.Build(0, Name, process.Arguments, 0).Length > (int)ProcessRuntime.AreaSize / 2) return ErrorCode.InvalidArgument;
        AddressSpace space = process.AddressSpace;
        ErrorCode e = space.Map(0, ProcessRuntime.AreaSize, Protection.ReadWrite, "runtime", out ulong area);
        if (e != ErrorCode.Ok) return e;
        // The process's first generation is 0; a supervisor restart loads again with the count one higher.
        byte[] block = StartupBlock.Build(area, Name, process.Arguments, process.Restarts);
        if (!space.TryWrite(area, block, out _)) return ErrorCode.BadAddress;
        int startupSlots = (block.Length + ProcessRuntime.SlotSize - 1) / ProcessRuntime.SlotSize;
        // A restart loads again: threads of the previous run still unwinding keep their own (dead) state.
        UserProgram program;
        try
        {
            program = _factory(); // the program's constructor is user code too
        }
        catch (Exception ex) when (ThrownByUserCode(ex))
        {
            throw new UserCodeException(ex);
        }
        _loaded = new LoadedImage(program, new ProcessRuntime(area, startupSlots));
        entry = CodeBase;
        argument = area;
        return ErrorCode.Ok;
    }

    /// <inheritdoc />
    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) =>
        _loaded?.Runtime.EntryAt(entry) is { } body
        && kind switch
        {
            EntryKind.Thread => body is Func<Sys, ulong, long>,
            EntryKind.Handler => body is Func<Sys, PageMessage, bool>,
            EntryKind.SegmentHandler => body is Func<Sys, SegmentMessage, long>,
            _ => body is ServiceBinding,
        };

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        LoadedImage loaded = Loaded;
        var sys = new Sys(thread, loaded.Runtime);
        Sys? outer = Sys.Enter(sys);
        try
        {
            if (entry == CodeBase) return loaded.Program.Main(sys);
            return ((Func<Sys, ulong, long>)loaded.Runtime.EntryAt(entry)!)(sys, argument);
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
        // The handler runs on the interrupted thread, with a Sys of its own (its own console scratch slot), reused
        // from the thread's previous handler run.
        LoadedImage loaded = Loaded;
        object body = loaded.Runtime.EntryAt(entry)!;
        Sys sys = loaded.TakeHandlerView(thread);
        Sys? outer = Sys.Enter(sys);
        try
        {
            // A segment handler (shm_handler) or a page-send handler (register_handler): the kernel checked which.
            if (body is Func<Sys, SegmentMessage, long> segmentHandler)
                return segmentHandler(sys, new SegmentMessage((int)args.A0, args.A1, args.A2, args.A3, (int)(uint)args.A4,
                    (args.A4 & Ipc.Shmem.ShmemUpcall.CallBit) != 0, (args.A4 & Ipc.Shmem.ShmemUpcall.UnsafeBit) != 0));
            var handler = (Func<Sys, PageMessage, bool>)body;
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
            loaded.ReturnHandlerView(thread, sys);
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
        LoadedImage loaded = Loaded;
        var binding = (ServiceBinding)loaded.Runtime.EntryAt(entry)!;
        var sys = new Sys(thread, loaded.Runtime);
        Sys? outer = Sys.Enter(sys);
        try
        {
            return binding.Invoke(method, args.A0, args.A1, args.A2, args.A3);
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

    private LoadedImage Loaded => _loaded ?? throw new InvalidOperationException($"{Name}: run before load");
}
