using Spectre.Console;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// Spectre.Console for tables in mk's output (the run account, fuzz and campaign reports): plain text, the same
/// bytes on a terminal, in a file and in a test.
/// </summary>
internal static class PlainConsole
{
    /// <summary>
    /// A Spectre.Console that draws plain text (no colour, no escape code) into <paramref name="writer"/>, as wide
    /// as <paramref name="width"/>: for tables in output that must be the same bytes on a terminal and in a file.
    /// </summary>
    public static IAnsiConsole For(TextWriter writer, int width) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        // Ansi: Spectre's no-ANSI path sets colours through System.Console and so writes ESC[39;49m to a terminal.
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.NoColors,
        Out = new PlainOutput(writer, width, terminal: false),
        Interactive = InteractionSupport.No,
    });

    /// <summary>
    /// A Spectre.Console for a table on a terminal: colour as the terminal supports it, none where NO_COLOR is set
    /// (Spectre's detection honours it), and no terminal set-up code either way (Spectre's own output would write
    /// System.Console's ESC[?1h ESC= first).
    /// </summary>
    public static IAnsiConsole ForTerminal(TextWriter writer, int width) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.Detect,
        Out = new PlainOutput(writer, width, terminal: true),
        Interactive = InteractionSupport.No,
    });

    // Spectre's output, never a terminal: its own AnsiConsoleOutput compares the writer with Console.Out, and that
    // sets the terminal up (ESC[?1h ESC= on stdout) even when nothing is written to it.
    private sealed class PlainOutput(TextWriter writer, int width, bool terminal) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => terminal;

        public int Width => width;

        public int Height => 24;

        public void SetEncoding(System.Text.Encoding encoding)
        {
            // The writer's encoding is its own.
        }
    }
}
