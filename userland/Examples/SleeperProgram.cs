using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>Sleeps a few times (first argument: ticks per nap, default 10) and reports virtual time.</summary>
public sealed class SleeperProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        long nap = sys.Args.Count > 0 && long.TryParse(sys.Args[0], CultureInfo.InvariantCulture, out long n) && n > 0 ? n : 10;
        for (int i = 0; i < 3; i++)
        {
            long before = sys.Time;
            sys.Sleep(nap);
            sys.PrintLine($"slept from tick {before} to {sys.Time}");
        }
        return 0;
    }
}
