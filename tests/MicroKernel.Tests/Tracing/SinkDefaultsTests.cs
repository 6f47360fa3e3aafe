using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// What a sink that overrides only <see cref="IEventSink.Emit"/> gets (the interface's defaults): every syscall's
/// entry and exit as two events, and the entry while the syscall runs, before its handler changed anything (the replay
/// checker and any sink that reads the kernel's state at an entry rely on it). A sink that takes records gets the
/// entry later, at the exit; both see the same events.
/// </summary>
public class SinkDefaultsTests
{
    [Fact]
    public void A_plain_sink_gets_each_syscalls_entry_and_exit()
    {
        var k = TestKernels.Boot();
        var sink = new AreasAtEachSyscall();
        k.AddSink(sink);
        k.Spawn("calls", sys =>
        {
            for (int i = 0; i < 3; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        sink.Seen.Count(s => s.Kind == EventKind.SyscallEnter && s.Code == (long)SyscallNumber.GetPid).ShouldBe(3);
        sink.Seen.Count(s => s.Kind == EventKind.SyscallExit && s.Code == (long)SyscallNumber.GetPid).ShouldBe(3);
    }

    [Fact]
    public void A_plain_sink_gets_a_map_entry_before_the_area_exists_and_a_record_sink_only_after()
    {
        var k = TestKernels.Boot();
        var plain = new AreasAtEachSyscall();
        var records = new AreasAtEachRecord();
        k.AddSink(plain);
        k.AddSink(records);
        Process p = k.Spawn("mapper", sys =>
        {
            sys.Map(4096);
            return 0;
        });
        plain.Process = records.Process = p;
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        (int enter, int exit) Areas(AreasAtEachSyscall s) =>
            (s.Seen.Single(x => x.Kind == EventKind.SyscallEnter && x.Code == (long)SyscallNumber.Map).Areas,
             s.Seen.Single(x => x.Kind == EventKind.SyscallExit && x.Code == (long)SyscallNumber.Map).Areas);
        (int plainEnter, int plainExit) = Areas(plain);
        plainExit.ShouldBe(plainEnter + 1, "the entry came before map made its area");
        (int recordEnter, int recordExit) = Areas(records);
        recordEnter.ShouldBe(recordExit, "a record sink gets the entry with the exit");
        recordExit.ShouldBe(plainExit);
    }

    // Notes, for each event it gets, how many areas the watched process has at that moment. It overrides only Emit:
    // what it gets is what the interface's defaults ask for.
    private class AreasAtEachSyscall : IEventSink
    {
        public Process? Process { get; set; }

        public List<(EventKind Kind, long Code, int Areas)> Seen { get; } = [];

        public void Emit(in KernelEvent e) =>
            Seen.Add((e.Kind, e.Code, Process is { State: ProcessState.Running } p ? p.AddressSpace.Areas.Count : -1));
    }

    // The same, taking syscall records (expanded by the interface's default EmitSyscall).
    private sealed class AreasAtEachRecord : AreasAtEachSyscall, IEventSink
    {
        public bool TakesSyscallRecords => true;
    }
}
