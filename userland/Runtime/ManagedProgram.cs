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
    private readonly List<Func<Sys, ulong, long>> _entries = [];
    private readonly Stack<int> _freeSlots = new();
    private UserProgram? _program;

    /// <summary>Makes an image named <paramref name="name"/> whose processes run what <paramref name="factory"/> makes.</summary>
    public ManagedProgram(string name, Func<UserProgram> factory)
    {
        Name = name;
        _factory = factory;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Address of the scratch area user-side helpers (console writes) use, 0 until first needed.</summary>
    internal ulong ScratchBase { get; private set; }

    /// <inheritdoc />
    public override ErrorCode Load(Process process, out ulong entry, out ulong argument)
    {
        _program = _factory();
        _entries.Clear();
        _freeSlots.Clear();
        for (int i = ScratchSlots - 1; i >= 0; i--) _freeSlots.Push(i);
        ScratchBase = 0;
        entry = CodeBase;
        argument = 0;
        return ErrorCode.Ok;
    }

    /// <inheritdoc />
    public override bool IsValidEntry(Process process, ulong entry) =>
        entry >= CodeBase + 16 && (entry - CodeBase) % 16 == 0 && (entry - CodeBase) / 16 <= (ulong)_entries.Count;

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        var sys = new Sys(thread, this);
        try
        {
            if (entry == CodeBase) return _program!.Main(sys);
            return _entries[(int)((entry - CodeBase) / 16) - 1](sys, argument);
        }
        finally
        {
            sys.ReleaseScratch();
        }
    }

    internal ulong RegisterEntry(Func<Sys, ulong, long> body)
    {
        _entries.Add(body);
        return CodeBase + 16 * (ulong)_entries.Count;
    }

    internal bool TryTakeSlot(Sys sys, out ulong address)
    {
        address = 0;
        if (ScratchBase == 0)
        {
            long mapped = sys.Syscall(SyscallNumber.Map, 0, ScratchSlots * ScratchSlotSize, (ulong)Protection.ReadWrite);
            if (mapped < 0) return false;
            ScratchBase = (ulong)mapped;
        }
        if (_freeSlots.Count == 0) return false;
        address = ScratchBase + (ulong)(_freeSlots.Pop() * ScratchSlotSize);
        return true;
    }

    internal void ReturnSlot(ulong address) => _freeSlots.Push((int)((address - ScratchBase) / ScratchSlotSize));
}
