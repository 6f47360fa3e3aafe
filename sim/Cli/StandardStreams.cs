using System.Text;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// mk's stdout and stderr. Stdout is buffered (64 KiB, one write system call per buffer rather than per line) and
/// flushed at exit; stderr writes at once, but flushes stdout first, so that on a terminal an error still follows
/// the account lines it is about. Both are UTF-8 without a byte-order mark, with "\n" line ends on every host.
/// </summary>
public sealed class StandardStreams
{
    /// <summary>The buffered stdout writer.</summary>
    public TextWriter Output { get; }

    /// <summary>The stderr writer (flushes <see cref="Output"/> before each write).</summary>
    public TextWriter Error { get; }

    /// <summary>Writers over the given streams (the process's own: <see cref="Open"/>; tests pass their own).</summary>
    public StandardStreams(Stream stdout, Stream stderr)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        Output = new StreamWriter(stdout, encoding, 1 << 16) { AutoFlush = false, NewLine = "\n" };
        Error = new ErrorWriter(new StreamWriter(stderr, encoding, 1 << 12) { AutoFlush = true, NewLine = "\n" }, Output);
    }

    /// <summary>
    /// True when <paramref name="writer"/> is the stdout of <see cref="Open"/> and that is a terminal: where a command
    /// may draw colour and progress (Spectre.Console honours NO_COLOR there); never for a file, a pipe or a test.
    /// </summary>
    public static bool IsTerminal(TextWriter writer) => s_stdout is not null && ReferenceEquals(writer, s_stdout) && !Console.IsOutputRedirected;

    private static TextWriter? s_stdout;

    /// <summary>The process's stdout and stderr.</summary>
    public static StandardStreams Open()
    {
        StandardStreams streams = OperatingSystem.IsWindows()
            ? new(Console.OpenStandardOutput(), Console.OpenStandardError())
            : new(Descriptor(1, Console.OpenStandardOutput), Descriptor(2, Console.OpenStandardError));
        s_stdout = streams.Output;
        return streams;
    }

    // On Unix the file descriptor itself, not System.Console's stream: that one sets a terminal up on first use
    // (it writes ESC[?1h ESC= to it), and the account holds no byte mk did not print.
    // A regular file is another matter: FileStream writes it at offsets of its own (pwrite from 0), so in
    // `(mk run demo; echo done) > out` the shell's next write would land on mk's output. There the console stream
    // (plain write(2) at the shared offset) is right, and no terminal is set up for a file.
    private static Stream Descriptor(int fd, Func<Stream> console)
    {
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!stream.CanSeek) return stream;
        stream.Dispose();
        return console();
    }

    // Stderr: stdout's buffer goes out first. A stdout that cannot be written (a full disk) must not hide the error
    // about it, so a failed flush here is left for the caller that reports it (CliApp.Invoke).
    private sealed class ErrorWriter(TextWriter inner, TextWriter output) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        [System.Diagnostics.CodeAnalysis.AllowNull]
        public override string NewLine { get => inner.NewLine; set => inner.NewLine = value; }

        public override void Write(char value)
        {
            FlushOutput();
            inner.Write(value);
        }

        public override void Write(string? value)
        {
            FlushOutput();
            inner.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            FlushOutput();
            inner.Write(buffer, index, count);
        }

        public override void WriteLine(string? value)
        {
            FlushOutput();
            inner.WriteLine(value);
        }

        public override void Flush() => inner.Flush();

        private void FlushOutput()
        {
            try
            {
                output.Flush();
            }
            catch (IOException)
            {
                // Reported by CliApp.Invoke when it flushes stdout at exit.
            }
        }
    }
}
