namespace MicroKernel.Sim.Cli;

/// <summary>Exit codes of the mk command (docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>The run completed (processes may still have faulted: that is their business).</summary>
    public const int Ok = 0;
    /// <summary>Bad command line.</summary>
    public const int Usage = 1;
    /// <summary>Malformed scenario or input file.</summary>
    public const int BadInput = 2;
    /// <summary>The run ended in a deadlock.</summary>
    public const int Deadlock = 3;
    /// <summary>The run hit its tick limit.</summary>
    public const int TickLimit = 4;
    /// <summary>The kernel panicked.</summary>
    public const int Panic = 5;
    /// <summary>A replay differed from its trace (the first divergent event is reported).</summary>
    public const int Divergence = 6;
    /// <summary>The run completed but a scenario's <c>expect</c> line was not met (each is reported).</summary>
    public const int ExpectationFailed = 7;
    /// <summary>
    /// An internal error of mk itself (an exception nothing expected): reported in one line, never a stack trace.
    /// 70 is sysexits.h's EX_SOFTWARE.
    /// </summary>
    public const int InternalError = 70;
    /// <summary>A file or stdout could not be read or written (a full disk, an unwritable path). 74 is sysexits.h's EX_IOERR.</summary>
    public const int IoError = 74;

    /// <summary>
    /// stdout was a pipe whose reader has closed it (<c>mk trace show T | head</c>): mk stops quietly, with the code a
    /// shell reports for a tool that SIGPIPE ended (128 + 13), so that <c>set -o pipefail</c> sees what it sees for cat.
    /// </summary>
    public const int BrokenPipe = 141;

    /// <summary>The exit code for a run's outcome.</summary>
    public static int For(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Completed => Ok,
        RunOutcome.Deadlock => Deadlock,
        RunOutcome.TickLimit => TickLimit,
        _ => Panic,
    };
}
