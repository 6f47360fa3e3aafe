using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// userland/examples/c/errors.c (its committed mk-gcc build): errno holds the kernel's errors (set from a refused
/// map, unmap and wait, and by malloc when the kernel's map refuses), strerror names each one as
/// <see cref="ErrorCode"/> does, perror writes its line; and the C library's ways of ending a program: a failed
/// assert, abort, _Exit. These need the simulator's kernel, so there is no native build to compare with.
/// </summary>
public class CErrnoTests
{
    /// <summary>These tests run their x86-64 programs on the interpreter (CErrnoTranslatedTests: on the translator).</summary>
    public CErrnoTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected CErrnoTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    private static string Errors => CExamples.Fixture("errors");

    [Fact]
    public void Errno_holds_the_kernels_errors_and_every_check_passes()
    {
        (int code, string stdout, string stderr) = Mk("exec", Errors);
        stderr.ShouldBeEmpty();
        code.ShouldBe(0, stdout);
        stdout.ShouldStartWith("map, unmap, wait: InvalidArgument, Misaligned, BadHandle\n"
            + "malloc(1 TiB): NULL, errno 5 (OutOfMemory)\n"
            + "rpc_call: NoSuchObject\n"                    // perror, with the kernel's name for errno
            + "Numerical result out of range\n");           // perror(NULL): the library's own ERANGE
        stdout.ShouldContain("1000 Unknown error\n");
        stdout.ShouldEndWith("rand after srand(1): 16838 5758 10113 17515, RAND_MAX 32767\nerrors: ok\n"); // C11 7.22.2.2's generator
    }

    [Fact]
    public void Strerror_names_every_kernel_error_as_ErrorCode_does()
    {
        string stdout = Mk("exec", Errors).Out;
        string[] named = [.. stdout.Split('\n').Where(l => l.Length > 0 && char.IsAsciiDigit(l[0]) && !l.StartsWith("1000 ", StringComparison.Ordinal))];
        string[] expected = [.. Enum.GetValues<ErrorCode>().Where(e => e <= 0).OrderByDescending(e => e)
            .Select(e => $"{-(int)e} {(e == ErrorCode.Ok ? "Success" : e.ToString())}")];
        named.ShouldBe(expected, "userland/libc/src/strerror.c and errno.h must follow kernel/Syscalls/ErrorCode.cs");
    }

    [Fact]
    public void Errno_follows_the_kernel_when_a_fault_rule_refuses_the_first_map()
    {
        // The first map is the program's map(0, 0): refused with OutOfMemory instead of InvalidArgument, check 1 fails.
        (int code, string stdout, _) = Mk("exec", Errors, "--fault", "syscall name=map nth=1 error=OutOfMemory");
        code.ShouldBe(1);
        stdout.ShouldBe("errors: check 1 failed (errno 5)\n");
    }

    [Fact]
    public void A_failed_assert_prints_glibcs_message_with_the_program_name_and_aborts_with_134()
    {
        int line = 1 + Array.FindIndex(File.ReadAllLines(Path.Combine(CExamples.ExamplesDir, "errors.c")), l => l.Contains("assert(frames > 2);", StringComparison.Ordinal));
        line.ShouldBeGreaterThan(0);
        (int code, string stdout, _) = Mk("exec", Errors, "assert");
        code.ShouldBe(134);
        // glibc's words, with argv[0] without its folders (glibc's __progname) and the source as gcc was given it
        stdout.ShouldBe($"asserting that 2 frames are more than 2\nerrors: errors.c:{line}: ending: Assertion `frames > 2' failed.\n");
    }

    [Fact]
    public void Abort_flushes_stdout_then_ends_with_134()
    {
        Mk("exec", Errors, "abort").ShouldBe((134, "buffered without a newline, then abort: ", ""));
    }

    [Fact]
    public void Exit_without_cleanup_drops_the_unfinished_line_and_runs_no_atexit_handler()
    {
        Mk("exec", Errors, "_Exit").ShouldBe((7, "a whole line\n", ""));
    }

    [Fact]
    public void An_unknown_argument_prints_the_usage_and_exits_2()
    {
        Mk("exec", Errors, "bogus").ShouldBe((2, "usage: errors [assert|abort|_Exit]\n", ""));
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
