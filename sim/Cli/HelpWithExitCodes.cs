using System.CommandLine;
using System.CommandLine.Invocation;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// <c>--help</c> as System.CommandLine prints it, followed by the exit codes of the command asked about (docs/cli.md
/// has the same table): a script author finds them where they look first.
/// </summary>
internal sealed class HelpWithExitCodes(CommandLineAction help, TextWriter output) : SynchronousCommandLineAction
{
    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        int code = help is SynchronousCommandLineAction sync ? sync.Invoke(parseResult) : 0;
        output.WriteLine("Exit codes:");
        foreach ((string exit, string meaning) in parseResult.CommandResult.Command.Name == "exec" ? ExecCodes : Codes)
            output.WriteLine($"  {exit,-8}{meaning}");
        output.WriteLine();
        return code;
    }

    private static string Code(int code) => code.ToString(CultureInfo.InvariantCulture);

    private static readonly (string, string)[] Codes =
    [
        (Code(ExitCodes.Ok), "the run completed (processes may have faulted)"),
        (Code(ExitCodes.Usage), "bad command line"),
        (Code(ExitCodes.BadInput), "malformed scenario, trace or input file"),
        (Code(ExitCodes.Deadlock), "the run ended in a deadlock"),
        (Code(ExitCodes.TickLimit), "the run hit its tick limit"),
        (Code(ExitCodes.Panic), "kernel panic"),
        (Code(ExitCodes.Divergence), "replay: the replay diverged from the trace"),
        (Code(ExitCodes.ExpectationFailed), "an expect line was not met (run), a run failed (campaign), points were lost (grade)"),
        (Code(ExitCodes.InternalError), "internal error of mk (a bug: please report it)"),
        (Code(ExitCodes.IoError), "a file or stdout could not be read or written"),
        (Code(ExitCodes.BrokenPipe), "stdout was a pipe its reader closed (| head): nothing printed"),
    ];

    private static readonly (string, string)[] ExecCodes =
    [
        ("0-255", "the program's exit status"),
        (Code(ExitCodes.Usage), "bad command line"),
        (Code(ExitCodes.BadInput), "a bad --fault rule"),
        (Code(ExitCodes.Panic), "kernel panic (or an internal error of the x86 interpreter)"),
        (Code(ExecCommands.LoadFailed), "the program cannot be loaded"),
        ("128+N", "the program faulted with fault reason N"),
        ("137", "killed at --max-ticks or in a deadlock"),
        (Code(ExitCodes.InternalError), "internal error of mk (a bug: please report it)"),
        (Code(ExitCodes.IoError), "a file (the --trace) or stdout could not be read or written"),
        (Code(ExitCodes.BrokenPipe), "stdout was a pipe its reader closed (| head): nothing printed"),
    ];
}
