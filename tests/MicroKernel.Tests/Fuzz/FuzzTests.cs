using MicroKernel.Memory;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Fuzz;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Fuzz;

/// <summary>
/// <c>mk fuzz</c>: a short run of random syscalls holds every invariant under each protection model; the same seed
/// prints the same bytes; a planted kernel bug is caught and reported with the seed, the syscall's index and a command
/// line that reproduces it; an undocumented error is a failure; <c>--from-trace</c> mutates a recording's syscalls.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Mk(string[] args, Action<Kernel>? booted = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error) { Booted = booted }.Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Five_thousand_random_syscalls_break_no_invariant_and_reach_every_family(ProtectionModel model)
    {
        FuzzResult r = Fuzzer.Run(new FuzzOptions(5000, 7, 4, model), []);
        r.Failure.ShouldBeNull(r.Failure?.ToString());
        r.Syscalls.ShouldBe(5000);
        // Every syscall of the table was issued, and most documented errors were reached.
        foreach ((long number, SyscallTally.Row row) in r.Tally.Rows) row.Calls.ShouldBeGreaterThan(0, row.Name);
        r.Tally.Rows.Values.Select(row => row.Name).ShouldContain("notify_close");
        r.Tally.Rows.Values.Select(row => row.Name).ShouldContain("rpc_call");
        r.Tally.Rows.Values.Select(row => row.Name).ShouldContain("send");
        (int reached, int documented) = FuzzReport.Coverage(r.Tally);
        reached.ShouldBeGreaterThan(documented / 2);
    }

    [Fact]
    public void The_same_seed_prints_the_same_bytes_and_another_seed_other_ones()
    {
        string[] args = ["fuzz", "--syscalls", "1500", "--seed", "3", "--processes", "3"];
        var (code, first, err) = Mk(args);
        code.ShouldBe(ExitCodes.Ok, err);
        first.ShouldContain("syscall x result");
        first.ShouldContain("result: no invariant violation");
        err.ShouldContain("syscalls/s");
        Mk(args).Out.ShouldBe(first);
        Mk(["fuzz", "--syscalls", "1500", "--seed", "4", "--processes", "3"]).Out.ShouldNotBe(first);
    }

    // The planted kernel bug: at the first kernel's 400th syscall return, one reference too many on a frame of the
    // caller, as a kernel that forgot a release would leave. Returns the index of that syscall in the fuzz run.
    private static Action<Kernel> LeakAfter(int returns, Action<long> index)
    {
        bool first = true;
        return k =>
        {
            if (!first) return;
            first = false;
            k.AddSink(new Leaker(k, returns, index));
        };
    }

    private sealed class Leaker(Kernel k, int returns, Action<long> index) : IEventSink
    {
        private readonly Dictionary<int, Stack<long>> _inFlight = [];
        private long _entered, _returned;
        private bool _done;

        public void Emit(in KernelEvent e)
        {
            if (e.Kind == EventKind.SyscallEnter)
            {
                if (!_inFlight.TryGetValue(e.Tid, out var stack)) _inFlight[e.Tid] = stack = new();
                stack.Push(++_entered);
            }
            if (e.Kind != EventKind.SyscallExit) return;
            long ordinal = _inFlight[e.Tid].Pop();
            if (_done || ++_returned < returns) return;
            var frames = k.FindProcess(e.Pid)!.AddressSpace.UserFrames().ToList();
            if (frames.Count == 0) return;
            k.Frames.AddRef(frames[0].Frame);
            _done = true;
            index(ordinal);
        }
    }

    [Fact]
    public void A_planted_kernel_bug_is_caught_with_the_seed_the_index_and_a_command_that_reproduces_it()
    {
        long leaked = 0;
        var (code, output, err) = Mk(["fuzz", "--syscalls", "5000", "--seed", "11"], LeakAfter(400, i => leaked = i));
        code.ShouldBe(FuzzCommand.Found, output + err);
        leaked.ShouldBeGreaterThan(0);
        output.ShouldContain($"FAILURE: KERNEL PANIC at syscall #{leaked} (seed 11, kernel 1, pid ");
        output.ShouldContain("frame-accounting");
        err.ShouldContain("kernel stack");
        string reproduce = output.Split('\n').Single(l => l.StartsWith("reproduce: ", StringComparison.Ordinal)).Trim();
        reproduce.ShouldBe("reproduce: mk fuzz --seed 11 --processes 4 --protection Paging --syscalls 5000");

        // The printed command line, run again with the same bug, stops at the same syscall with the same report.
        string[] again = reproduce["reproduce: mk ".Length..].Split(' ');
        var (code2, output2, _) = Mk(again, LeakAfter(400, _ => { }));
        code2.ShouldBe(FuzzCommand.Found);
        output2.ShouldBe(output);
    }

    [Fact]
    public void An_error_a_syscall_does_not_document_is_a_failure_but_a_joined_exit_code_is_not()
    {
        using var k = new Kernel(new KernelConfig());
        var tally = new SyscallTally();
        SyscallTally.Row map = tally.RowOf(k.Syscalls, (long)SyscallNumber.Map);
        SyscallTally.Result(map, (long)ErrorCode.OutOfMemory).ShouldBeTrue();
        SyscallTally.Result(map, 0x10004000).ShouldBeTrue();
        SyscallTally.Result(map, (long)ErrorCode.NoSuchThread).ShouldBeFalse();
        map.Errors[ErrorCode.OutOfMemory].ShouldBe(1);
        map.Ok.ShouldBe(1);
        SyscallTally.Result(tally.RowOf(k.Syscalls, (long)SyscallNumber.ThreadJoin), -3).ShouldBeTrue(); // an exit code of -3
        SyscallTally.Row unknown = tally.RowOf(k.Syscalls, 99);
        SyscallTally.Result(unknown, (long)ErrorCode.UnknownSyscall).ShouldBeTrue();
        SyscallTally.Result(unknown, (long)ErrorCode.InvalidArgument).ShouldBeFalse();
    }

    [Fact]
    public void From_trace_mutates_a_recorded_runs_syscalls()
    {
        string trace = Path.Combine(_dir, "pages.mktrace");
        Mk(["run", "pages", "--trace", trace]).Code.ShouldBe(ExitCodes.Ok);
        var (code, output, err) = Mk(["fuzz", "--syscalls", "1500", "--from-trace", trace]);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain($"mutating the syscalls of {trace}");
        output.ShouldContain("result: no invariant violation");

        string bad = Path.Combine(_dir, "bad.mktrace");
        File.WriteAllText(bad, "not a trace");
        Mk(["fuzz", "--from-trace", bad]).Code.ShouldBe(ExitCodes.BadInput);
    }

    [Theory]
    [InlineData("--processes", "0")]
    [InlineData("--processes", "17")]
    [InlineData("--syscalls", "0")]
    public void Out_of_range_options_are_refused(string option, string value)
    {
        var (code, _, err) = Mk(["fuzz", option, value]);
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--processes 1..16");
    }
}
