using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tests.Core;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// A kernel panic seen from the command line: <c>mk run</c> prints the report (kernel stack, tick, event number) and
/// exits 5; the Panic event is in the recorded trace, in <c>trace show</c>, in the Perfetto export, and replay
/// reproduces it (or reports the divergence when the replaying kernel does not have the bug).
/// </summary>
public class PanicCliTests
{
    private const string Summary = "InvalidOperationException: broken family: upcall delivery";

    // The planted bug: an upcall queued for pid 1 before the run, whose delivery throws inside the kernel.
    private static void PlantBug(Kernel k)
    {
        var family = new KernelPanicTests.BrokenFamily(k);
        k.AddFamily(family);
        family.Queue(k.FindProcess(1)!);
    }

    private static (int Code, string Out, string Err) MkWithBug(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error) { Booted = PlantBug }.Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Run_exits_5_and_prints_the_panic_report_with_the_kernel_stack()
    {
        var (code, output, err) = MkWithBug("run", "demo");
        code.ShouldBe(ExitCodes.Panic, err);
        output.ShouldContain($"[pid 1 tid 1]      KERNEL PANIC: {Summary}"); // the event, as it happens
        output.ShouldContain("run: Panic at tick");
        output.ShouldMatch($@"KERNEL PANIC: kernel panic at tick \d+, event #\d+, on tid 1 \(pid 1\): {Summary}\nkernel stack:\n");
        output.ShouldContain("UpcallPoint");
        output.ShouldNotContain("UserException");

        // The demo itself does not panic.
        new CliApp(new StringWriter(), new StringWriter()).Invoke(["run", "demo"]).ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void The_panic_is_in_the_trace_trace_show_the_perfetto_export_and_replay()
    {
        using var f = new TraceFixture();
        string path = f.PathOf("panic.mktrace");
        var (code, output, _) = MkWithBug("run", "demo", "--trace", path);
        code.ShouldBe(ExitCodes.Panic);
        output.ShouldContain($"written to {path}");

        Trace trace = TraceFixture.Read(path);
        trace.Summary.Outcome.ShouldBe(RunOutcome.Panic);
        KernelEvent panic = trace.Events.Select(t => t.Event).Single(e => e.Kind == EventKind.Panic);
        (panic.Pid, panic.Tid, panic.Text).ShouldBe((1, 1, Summary));
        output.ShouldContain($"event #{panic.Seq}, on tid 1");

        var (showCode, show, _) = TraceFixture.Mk("trace", "show", path);
        showCode.ShouldBe(ExitCodes.Ok);
        show.ShouldContain($"#{panic.Seq} ");
        show.ShouldContain($"KERNEL PANIC: {Summary}");
        TraceFixture.Mk("trace", "show", path, "--jsonl").Out.ShouldContain("\"kind\":\"Panic\"");

        string json = f.PathOf("panic.json");
        TraceFixture.Mk("trace", "export", path, json, "--perfetto").Code.ShouldBe(ExitCodes.Ok);
        File.ReadAllText(json).ShouldContain("\"name\":\"panic\"");

        // A kernel with the same bug replays the run, panic included.
        ReplayResult same = Replayer.Replay(trace, new ReplayOptions(Booted: PlantBug));
        same.Divergence.ShouldBeNull();
        same.Run.Outcome.ShouldBe(RunOutcome.Panic);
        var report = new StringWriter();
        ReplayReport.Write(same, new EventFormatter(TraceCommands.SyscallTable()), report);
        report.ToString().ShouldContain($"the kernel panicked as recorded: {Summary}");

        // So does a trace-driven replay: the puppet's syscalls reach the same broken path.
        ReplayResult puppets = Replayer.Replay(trace, new ReplayOptions(SyscallsOnly: true, Booted: PlantBug));
        puppets.Divergence.ShouldBeNull();
        puppets.Run.Panic!.Summary.ShouldBe(Summary);

        // A kernel without it (the bug fixed) diverges exactly at the Panic event.
        ReplayResult fixedKernel = Replayer.Replay(trace, new ReplayOptions());
        fixedKernel.Divergence.ShouldNotBeNull().Seq.ShouldBe(panic.Seq);
        fixedKernel.Divergence.Recorded!.Event.Kind.ShouldBe(EventKind.Panic);
        TraceFixture.Mk("replay", path).Code.ShouldBe(ExitCodes.Divergence);
    }
}
