using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Counts primes below a limit (first argument, default 5000) with a sieve of Eratosthenes whose bytes live in
/// user memory: thousands of checked loads and stores, preempted every N accesses.
/// </summary>
public sealed class SieveProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int limit = sys.Args.Count > 0 && int.TryParse(sys.Args[0], CultureInfo.InvariantCulture, out int n) && n > 2 ? n : 5000;
        ulong sieve = sys.Map((ulong)limit);
        int count = 0;
        for (ulong i = 2; i < (ulong)limit; i++)
        {
            if (sys.Memory.ReadByte(sieve + i) != 0) continue;
            count++;
            for (ulong j = i * i; j < (ulong)limit; j += i) sys.Memory.WriteByte(sieve + j, 1);
        }
        sys.PrintLine($"{count} primes below {limit}");
        return 0;
    }
}
