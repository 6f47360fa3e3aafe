namespace MicroKernel.Syscalls;

/// <summary>The six 64-bit syscall arguments (rdi, rsi, rdx, r10, r8, r9 on x86-64).</summary>
public readonly record struct SyscallArgs(ulong A0, ulong A1, ulong A2, ulong A3, ulong A4, ulong A5)
{
    /// <summary>Argument <paramref name="index"/> (0..5).</summary>
    public ulong this[int index] => index switch
    {
        0 => A0,
        1 => A1,
        2 => A2,
        3 => A3,
        4 => A4,
        5 => A5,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}
