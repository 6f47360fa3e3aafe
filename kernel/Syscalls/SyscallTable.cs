namespace MicroKernel.Syscalls;

/// <summary>
/// Number -> handler. The kernel core registers its syscalls here and each IPC family adds its own, so a new
/// family needs no change to the dispatcher.
/// </summary>
public sealed class SyscallTable
{
    /// <summary>Numbers are below this bound.</summary>
    public const int Capacity = 256;

    private readonly SyscallInfo?[] _entries = new SyscallInfo?[Capacity];

    /// <summary>Adds a syscall; a number may be registered once.</summary>
    public void Register(SyscallInfo info)
    {
        if (info.Number < 0 || info.Number >= Capacity) throw new ArgumentOutOfRangeException(nameof(info), "syscall number out of range");
        if (_entries[info.Number] is not null) throw new InvalidOperationException($"syscall {info.Number} registered twice");
        _entries[info.Number] = info;
    }

    /// <summary>The entry for <paramref name="number"/>, or null when unknown.</summary>
    public SyscallInfo? Find(long number) => (ulong)number < Capacity ? _entries[number] : null;

    /// <summary>Every registered syscall, by number.</summary>
    public IEnumerable<SyscallInfo> All => _entries.OfType<SyscallInfo>();
}
