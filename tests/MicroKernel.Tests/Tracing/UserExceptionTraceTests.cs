using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// A C# exception that escapes a program is recorded as its type and a sentence the kernel words: its .NET message
/// (which a language pack translates) reaches only stderr, never an event or a trace.
/// </summary>
public class UserExceptionTraceTests
{
    private const string Message = "a message in the host's language";

    [Fact]
    public void The_fault_event_holds_the_type_and_the_kernels_words_not_the_dotnet_message()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("crasher", _ => throw new InvalidOperationException(Message));
        var (_, log) = k.RunLogged();

        KernelEvent fault = log.Events.Single(e => e.Kind == EventKind.Fault);
        fault.Code.ShouldBe((long)FaultReason.UserException);
        fault.Text.ShouldBe("System.InvalidOperationException escaped the program's code");
        log.Events.ShouldNotContain(e => (e.Text ?? "").Contains(Message));
        FaultRecord f = p.Faults.ShouldHaveSingleItem();
        f.Detail.ShouldBe(fault.Text);
        f.HostMessage.ShouldBe(Message);
    }

    [Fact]
    public void A_refused_syscall_is_worded_by_the_kernel_from_the_call_and_the_error()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("crasher", _ => throw new SyscallException(SyscallNumber.Map, ErrorCode.BadAddress));
        var (_, log) = k.RunLogged();

        string expected = $"MicroKernel.Userland.Runtime.SyscallException Map failed: {ErrorCode.BadAddress.Message()} (-3)";
        log.Events.Single(e => e.Kind == EventKind.Fault).Text.ShouldBe(expected);
        p.Faults.ShouldHaveSingleItem().HostMessage.ShouldBe($"Map: {ErrorCode.BadAddress.Message()} (-3)");
    }

    [Fact]
    public void A_recorded_trace_does_not_hold_the_dotnet_message()
    {
        Scenario s = ScenarioRunner.Load("demo");
        var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>()), ownsStream: false);
        Kernel k = ScenarioRunner.Boot(s, [writer]);
        k.Spawn("crasher", _ => throw new ArgumentException(Message));
        RunResult result = k.Run();
        writer.Finish(result);

        byte[] bytes = buffer.ToArray();
        System.Text.Encoding.UTF8.GetString(bytes).ShouldNotContain(Message);
        Trace trace = TraceReader.Read(bytes, "memory");
        trace.Events.ShouldContain(e => e.Event.Kind == EventKind.Fault && e.Event.Text == "System.ArgumentException escaped the program's code");
    }

    [Fact]
    public void The_run_report_prints_the_dotnet_message_on_stderr()
    {
        var k = TestKernels.Boot();
        k.Spawn("crasher", _ => throw new InvalidOperationException(Message));
        RunResult result = k.Run();
        var error = new StringWriter();
        RunReport.HostMessages(error, result);
        error.ToString().TrimEnd().ShouldBe($"fault: pid 1 tid 1: UserException (execute at 0x0): System.InvalidOperationException escaped the program's code; .NET message: {Message}");
    }

    [Fact]
    public void Other_faults_have_no_host_message_and_print_nothing_more()
    {
        var k = TestKernels.Boot();
        k.Spawn("faulter");
        RunResult result = k.Run();
        result.Processes.SelectMany(p => p.Faults).ShouldNotBeEmpty();
        result.Processes.SelectMany(p => p.Faults).ShouldAllBe(f => f.HostMessage == null);
        var error = new StringWriter();
        RunReport.HostMessages(error, result);
        error.ToString().ShouldBeEmpty();
    }
}
