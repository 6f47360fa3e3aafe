using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The C# runtime's bookkeeping for one load of a program (a crt0 and its data, in a real system): the entry table
/// that stands in for code addresses, and the runtime area the loader mapped in the process's own memory - the
/// startup block first, then per-thread console scratch slots. Host objects stay out: everything a program reads
/// of its process goes through <see cref="Sys"/> and user memory.
/// </summary>
internal sealed class ProcessRuntime
{
    /// <summary>The "address" of main; further entries follow every 16 bytes.</summary>
    public const ulong CodeBase = 0x400000;

    /// <summary>The runtime area: this many slots of <see cref="SlotSize"/> bytes (16 KiB, one MPU region).</summary>
    public const int Slots = 64, SlotSize = 256;

    /// <summary>Bytes of the runtime area.</summary>
    public const ulong AreaSize = Slots * SlotSize;

    private readonly Stack<int> _freeSlots = new();
    private IReadOnlyList<string>? _args;
    private long _generation = -1;

    /// <summary>A runtime whose area starts at <paramref name="area"/> with the startup block in its first <paramref name="startupSlots"/> slots.</summary>
    public ProcessRuntime(ulong area, int startupSlots)
    {
        Area = area;
        for (int i = Slots - 1; i >= startupSlots; i--) _freeSlots.Push(i);
    }

    /// <summary>Where the runtime area (and the startup block, at its start) is in user memory.</summary>
    public ulong Area { get; }

    /// <summary>Thread bodies, handlers (delegates) and exported service objects (<see cref="ServiceBinding"/>).</summary>
    public List<object> Entries { get; } = [];

    /// <summary>Adds an entry; returns its "code address".</summary>
    public ulong RegisterEntry(object body)
    {
        Entries.Add(body);
        return CodeBase + 16 * (ulong)Entries.Count;
    }

    /// <summary>The entry at <paramref name="address"/>, or null when no entry has that address.</summary>
    public object? EntryAt(ulong address) =>
        address >= CodeBase + 16 && (address - CodeBase) % 16 == 0 && (address - CodeBase) / 16 <= (ulong)Entries.Count
            ? Entries[(int)((address - CodeBase) / 16) - 1]
            : null;

    /// <summary>A free console scratch slot's user address, or false when every slot is taken.</summary>
    public bool TryTakeSlot(out ulong address)
    {
        address = 0;
        if (_freeSlots.Count == 0) return false;
        address = Area + (ulong)(_freeSlots.Pop() * SlotSize);
        return true;
    }

    /// <summary>Gives a slot back.</summary>
    public void ReturnSlot(ulong address) => _freeSlots.Push((int)((address - Area) / SlotSize));

    /// <summary>The arguments, read from the startup block through <paramref name="memory"/> on first use.</summary>
    public IReadOnlyList<string> Args(UserMemory memory) => _args ??= StartupBlock.ReadArgs(memory, Area);

    /// <summary>The restart generation, read from the startup block on first use.</summary>
    public long Generation(UserMemory memory)
    {
        if (_generation < 0) _generation = (long)memory.ReadUInt64(Area + StartupBlock.GenerationOffset);
        return _generation;
    }

    /// <summary>A scratch slot for <paramref name="forSyscall"/>, or a SyscallException (OutOfMemory) when none is left.</summary>
    public ulong TakeSlotOrThrow(SyscallNumber forSyscall) =>
        TryTakeSlot(out ulong slot) ? slot : throw new SyscallException(forSyscall, ErrorCode.OutOfMemory);
}
