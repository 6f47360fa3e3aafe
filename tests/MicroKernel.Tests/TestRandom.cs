using MicroKernel.Scheduling;

namespace MicroKernel.Tests;

/// <summary>
/// The fuzz tests' random numbers: the kernel's own <see cref="SplitMix64"/> behind the few System.Random calls they
/// make, so that a seed means the same sequence on every .NET version (System.Random's seeded sequence is not
/// promised to stay the same). No test constructs a System.Random (RandomUseTests checks).
/// </summary>
internal sealed class TestRandom(ulong seed)
{
    private readonly SplitMix64 _bits = new(seed);

    /// <summary>A non-negative integer below <see cref="int.MaxValue"/>.</summary>
    public int Next() => (int)(_bits.Next() % int.MaxValue);

    /// <summary>An integer in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound) => _bits.NextInt(bound);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public int Next(int min, int max) => min + _bits.NextInt(max - min);

    /// <summary>Fills <paramref name="bytes"/> with random bytes.</summary>
    public void NextBytes(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)_bits.Next();
    }
}
