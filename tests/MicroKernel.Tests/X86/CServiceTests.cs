using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tracing;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Runtime;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// A C service (userland/examples/c/kvstore.c, gcc-built and committed as a fixture) called by C# clients and by a
/// C client (kvclient.c, sim/scenarios/c-rpc.scn): the grant, nesting and callee-fault rules of C# services hold.
/// </summary>
public class CServiceTests
{
    /// <summary>These tests run their x86-64 programs on the interpreter (CServiceTranslatedTests: on the translator).</summary>
    public CServiceTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected CServiceTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    private static readonly string Scenario = Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "c-rpc.scn");

    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    /// <summary>The committed fixture's path (make -C userland/examples/c fixtures); a missing one fails the test.</summary>
    private static string FixturePath(string name)
    {
        string path = Path.Combine(CExamples.RepoRoot, "userland", "examples", "c", "fixtures", name);
        File.Exists(path).ShouldBeTrue($"{path} is missing: run make -C userland/examples/c fixtures and commit it");
        return path;
    }

    private static X86Program Fixture(string name) => X86Program.FromBytes(name, File.ReadAllBytes(FixturePath(name)));

    // quantum: ticks before round-robin preempts; a long one lets a client make two calls in a row without the
    // scheduler running anyone in between (a restarted service must not re-export before the second call).
    private static Kernel Boot(ProtectionModel model, int quantum = 4) =>
        new(new KernelConfig { Frames = 4096, Protection = model, MaxTicks = 200_000, InstructionsPerTick = 500, Quantum = quantum });

    private static Process SpawnKv(Kernel k, out X86Program image, FaultPolicy policy, params string[] args)
    {
        image = Fixture("kvstore");
        k.Spawn(image, "kv", out Process? p, faultPolicy: policy, arguments: args).ShouldBe(ErrorCode.Ok, image.LoadError);
        return p!;
    }

    private static RpcHandle<T> WaitFor<T>(Sys sys, string name) where T : class
    {
        long h;
        while ((h = Rpc.TryLookup(name)) < 0) sys.Sleep(1);
        return new RpcHandle<T>((ulong)h);
    }

    private static string Console(EventLog log) => string.Concat(log.Events.Where(e => e.Kind == EventKind.Console).Select(e => e.Text));

    [Theory]
    [MemberData(nameof(Models))]
    public void A_CSharp_client_calls_the_C_service_reads_into_a_SHARED_buffer_and_survives_its_restart(ProtectionModel model)
    {
        Kernel k = Boot(model, quantum: 1000);
        Process kv = SpawnKv(k, out _, FaultPolicy.Restart, "kv");
        long previous = -1, got = -1, many = -1, crashed = 0, restarting = 0, afterRestart = -1;
        long[] values = new long[3];
        Process client = k.Spawn("client", sys =>
        {
            var store = WaitFor<IKeyValue>(sys, "kv");
            Rpc.Call(store, s => s.Put(1, 10));
            previous = Rpc.Call(store, s => s.Put(1, 11));
            Rpc.Call(store, s => s.Put(2, 20));
            got = Rpc.Call(store, s => s.Get(2));
            ulong keys = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(keys, 1);
            sys.Memory.WriteUInt64(keys + 8, 2);
            sys.Memory.WriteUInt64(keys + 16, 3);
            many = Rpc.Call(store, s => s.GetMany(keys, 3));
            for (int i = 0; i < 3; i++) values[i] = (long)sys.Memory.ReadUInt64(keys + (ulong)i * 8);
            crashed = Rpc.TryCall(store, s => s.GetMany(0, 1));    // the C code reads through NULL
            restarting = Rpc.TryCall(store, s => s.Get(1));
            store = WaitFor<IKeyValue>(sys, "kv");
            afterRestart = Rpc.Call(store, s => s.Get(1));
            Rpc.Call(store, s => s.Stop());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        previous.ShouldBe(10);
        got.ShouldBe(20);
        many.ShouldBe(3);
        values.ShouldBe([11L, 20L, 0L]);             // written by the C method into the caller's SHARED buffer
        crashed.ShouldBe((long)ErrorCode.PeerFaulted);
        restarting.ShouldBe((long)ErrorCode.ServiceRestarting);
        afterRestart.ShouldBe(0);                    // the restarted service has fresh memory
        FaultRecord fault = kv.Faults.ShouldHaveSingleItem();
        fault.Address.ShouldBe(0UL);
        fault.Access.ShouldBe(AccessKind.Read);
        kv.Restarts.ShouldBe(1);
        kv.ExitStatus.ShouldBe(0);
        client.ExitStatus.ShouldBe(0);
        Console(log).ShouldContain("kvstore: kv stopped after 2 calls\n");
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_C_service_sees_only_SHARED_memory_of_its_caller(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process kv = SpawnKv(k, out _, FaultPolicy.Kill, "kv");
        ulong own = 0;
        long result = 0;
        k.Spawn("client", sys =>
        {
            var store = WaitFor<IKeyValue>(sys, "kv");
            // Private memory, at an address the service has nothing at (under paging addresses are per process).
            own = sys.Map(4096, address: model == ProtectionModel.Paging ? 0x7000_0000UL : 0);
            sys.Memory.WriteUInt64(own, 1);
            result = Rpc.TryCall(store, s => s.GetMany(own, 1));
            return 0;
        });
        (RunResult r, _) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        kv.Faults.ShouldHaveSingleItem().Address.ShouldBe(own);
        kv.State.ShouldBe(ProcessState.Exited);      // fault=kill
        k.ShouldBalance();
    }

    /// <summary>The C service's fallback, in C#: key 77 calls back into the C service from inside the method.</summary>
    private sealed class Backing : IKeyValue
    {
        public long Put(long key, long value) => 0;

        public long Get(long key) => key == 77
            ? Rpc.Call(Rpc.Lookup<IKeyValue>("kv"), s => s.Put(78, 780)) + 1000   // C -> C# -> C: re-entering kv
            : key * 100;

        public long GetMany(ulong keys, long count) => 0;

        public long Stop() => 0;
    }

    /// <summary>Forwards Get to the C service from inside its own method (C# -> C).</summary>
    private sealed class Front(RpcHandle<IKeyValue> kv) : IKeyValue
    {
        public long Put(long key, long value) => 0;

        public long Get(long key) => Rpc.Call(kv, s => s.Get(key));

        public long GetMany(ulong keys, long count) => 0;

        public long Stop() => 0;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_C_service_and_CSharp_services_call_each_other_and_re_entering_the_C_service_takes_a_second_stack(ProtectionModel model)
    {
        Kernel k = Boot(model);
        long fromBacking = 0, reentrant = 0, stored = 0, viaFront = 0;
        k.Spawn("backing", sys =>
        {
            Rpc.Export<IKeyValue>(new Backing(), "backing");
            sys.Sleep(2000);
            return 0;
        });
        Process kv = SpawnKv(k, out X86Program image, FaultPolicy.Kill, "kv", "backing");
        k.Spawn("front", sys =>
        {
            Rpc.Export<IKeyValue>(new Front(WaitFor<IKeyValue>(sys, "kv")), "front");
            sys.Sleep(2000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            var store = WaitFor<IKeyValue>(sys, "kv");
            var front = WaitFor<IKeyValue>(sys, "front");
            fromBacking = Rpc.Call(store, s => s.Get(5));   // C (a miss) -> C#: depth 2
            reentrant = Rpc.Call(store, s => s.Get(77));    // C -> C# -> C: depth 3, kv's method runs twice at once
            stored = Rpc.Call(store, s => s.Get(78));
            viaFront = Rpc.Call(front, s => s.Get(6));      // C# -> C (a miss) -> C#: depth 3
            Rpc.Call(store, s => s.Stop());
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        fromBacking.ShouldBe(500);
        reentrant.ShouldBe(1000);                     // Put(78) returned the previous value, 0
        stored.ShouldBe(780);
        viaFront.ShouldBe(600);
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 2 && e.A4 == (ulong)kv.Pid);   // kv calls out
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 3 && e.Pid == kv.Pid);         // kv re-entered
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 2 && e.Pid == kv.Pid);         // kv called from C#
        image.ServiceStacksMapped.ShouldBe(2);
        kv.ExitStatus.ShouldBe(0);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_C_client_and_a_CSharp_client_call_the_C_services_of_the_scenario()
    {
        Kernel k = ScenarioRunner.Boot(ScenarioRunner.Load(Scenario));
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = Console(log);
        console.ShouldContain("C client: nested get 150 = 42\n");
        console.ShouldContain("C client: get_many of NULL = -18\n");
        console.ShouldContain("C client: after the restart, get 100 = 0\n");
        console.ShouldContain("C client: all checks passed\n");
        console.ShouldContain("kv-client: nested get 250 = 25\n");
        console.ShouldContain("kv-client: all checks passed\n");
        r.Processes.Select(p => p.ExitStatus).ShouldAllBe(s => s == 0);
        r.Processes.Single(p => p.Name == "kv").Restarts.ShouldBe(1);
        // A C client (pid 4) calls kv (pid 2), whose method calls defaults (pid 1): C -> C -> C, on the client's thread.
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.Pid == 1 && e.A2 == 2 && e.A4 == 2);
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcReturn && e.Pid == 4 && e.Result == (long)ErrorCode.PeerFaulted);
        // Both services withdraw their objects (mk_rpc_unexport) before they exit.
        log.Events.Count(e => e.Kind == EventKind.SyscallExit && e.Code == (long)SyscallNumber.RpcUnexport && e.Result == 0).ShouldBe(2);
        k.ShouldBalance();
    }

    [Fact]
    public void The_scenario_records_the_same_trace_twice_and_replays_with_zero_divergence_both_ways()
    {
        using var f = new TraceFixture();
        string first = f.Record(Scenario);
        File.ReadAllBytes(f.Record(Scenario)).ShouldBe(File.ReadAllBytes(first));
        List<KernelEvent> events = TraceFixture.Read(first).Events.Select(e => e.Event).ToList();
        events.ShouldContain(e => e.Kind == EventKind.Fault && e.Pid == 2);   // the C service's fault, inside a call
        events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 2);

        var (code, output, err) = TraceFixture.Mk("replay", first);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {events.Count} events match the recording");

        (code, output, err) = TraceFixture.Mk("replay", "--syscalls-only", first);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {events.Count} events match the recording");
        output.ShouldContain("every result as recorded");
        output.ShouldNotContain("note:");
    }

    [Theory]
    [InlineData("armv7m")]
    [InlineData("armv8m")]
    public void Under_an_MPU_a_C_service_run_replays_with_zero_divergence_both_ways(string protection)
    {
        using var f = new TraceFixture();
        // One gcc binary only: without translation two of them cannot both sit at 0x400000.
        string scenario = f.PathOf("c-rpc-mpu.scn");
        File.WriteAllText(scenario, $"""
            name c-rpc-mpu
            memory 4096
            protection {protection}
            scheduler round-robin
            seed 7
            instructions-per-tick 500
            process kv       binary={FixturePath("kvstore")}  args=kv
            process csclient program=kv-client  args="kv kv stop"
            """);
        string trace = f.Record(scenario);
        List<KernelEvent> events = TraceFixture.Read(trace).Events.Select(e => e.Event).ToList();
        events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.Pid == 1 && e.A3 > 0);   // MPU regions granted
        events.Where(e => e.Kind == EventKind.ProcessExit).ShouldAllBe(e => e.Code == 0);

        foreach (string[] mode in new[] { new[] { "replay", trace }, new[] { "replay", "--syscalls-only", trace } })
        {
            var (code, output, err) = TraceFixture.Mk(mode);
            err.ShouldBeEmpty();
            code.ShouldBe(ExitCodes.Ok, output);
            output.ShouldContain($"OK: all {events.Count} events match the recording");
        }
    }
}
