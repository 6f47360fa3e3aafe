namespace MicroKernel.Sim.Tracing;

/// <summary>
/// FNV-1a, 64-bit: the digest of the user bytes a syscall read or wrote (docs/trace-format.md). Stable across
/// machines and .NET versions, hand-written (no package), about 1 ns a byte: cheap next to the syscall itself.
/// </summary>
internal static class Fnv1a64
{
    /// <summary>The FNV-1a 64-bit offset basis: the hash of nothing.</summary>
    public const ulong Basis = 14695981039346656037UL;

    private const ulong Prime = 1099511628211UL;

    /// <summary>Continues hash <paramref name="hash"/> with <paramref name="data"/>.</summary>
    public static ulong Append(ulong hash, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            hash ^= b;
            hash *= Prime;
        }
        return hash;
    }

    /// <summary>Continues the hash with a 64-bit value, little-endian.</summary>
    public static ulong Append(ulong hash, ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            hash ^= (byte)(value >> (8 * i));
            hash *= Prime;
        }
        return hash;
    }
}
