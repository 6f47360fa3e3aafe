using System.Text.Json;
using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Portals;

/// <summary>
/// trace_mark (docs/syscalls.md) and the portals marks the Perfetto export turns into arrows
/// (docs/trace-format.md#marks): a student watches the route of the <c>portals</c> scenario shorten.
/// </summary>
public class PortalTraceMarkTests
{
    [Fact]
    public void Trace_mark_copies_at_most_128_bytes_and_refuses_the_rest()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        var r = new Dictionary<string, long>();
        k.Spawn("marker", sys =>
        {
            r["ok"] = sys.TraceMark("portal 1.1 parcel 0.0 put"u8);
            r["longest"] = sys.TraceMark(new byte[128]);
            r["too long"] = sys.Syscall(SyscallNumber.TraceMark, 0x10000000, 129);
            r["empty"] = sys.Syscall(SyscallNumber.TraceMark, 0x10000000, 0);
            r["unmapped"] = sys.Syscall(SyscallNumber.TraceMark, 0x7000_0000, 8);
            r["kernel half"] = sys.Syscall(SyscallNumber.TraceMark, 0xFFFF_8000_0000_0000, 8);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        r["ok"].ShouldBe(0);
        r["longest"].ShouldBe(0);
        r["too long"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["empty"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["unmapped"].ShouldBe((long)ErrorCode.BadAddress);
        r["kernel half"].ShouldBe((long)ErrorCode.BadAddress);
    }

    [Fact]
    public void Trace_show_prints_the_marks_of_the_portals_scenario()
    {
        using var f = new TraceFixture();
        string trace = f.Record("portals");
        var (code, output, err) = TraceFixture.Mk("trace", "show", "--string-limit", "64", trace);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain("trace_mark(\"portal 2.1 parcel 0.0 put\", 25) = 0");
        output.ShouldContain(" bypass ");
    }

    /// <summary>
    /// The export's portal arrows, chain by chain (a parcel, or one proxy's bypass): the pid of each step in order.
    /// The first parcel B puts goes B (pid 2) -> A (pid 1, the proxy) -> C (pid 3); the last ones go straight between
    /// B and C; A's proxy drops out (a bypass whose last step is at pid 1).
    /// </summary>
    [Fact]
    public void The_perfetto_export_draws_each_parcel_path_and_bypass_as_arrows()
    {
        using var f = new TraceFixture();
        string trace = f.Record("portals");
        string json = f.PathOf("portals.json");
        TraceFixture.Mk("trace", "export", "--perfetto", trace, json).Code.ShouldBe(ExitCodes.Ok);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var marks = new Dictionary<(int Pid, int Tid, long Ts), string>(); // a mark's slice, by where a flow binds to it
        var starts = new Dictionary<long, (int Pid, int Tid, long Ts, string Name)>();
        var ends = new List<(long Id, int Pid, int Tid, long Ts)>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string ph = e.GetProperty("ph").GetString()!;
            int pid = e.GetProperty("pid").GetInt32(), tid = e.TryGetProperty("tid", out JsonElement t) ? t.GetInt32() : 0;
            long ts = e.TryGetProperty("ts", out JsonElement v) ? (long)Math.Round(v.GetDouble() * 1000) : 0;
            if (ph == "X" && e.GetProperty("name").GetString() == "trace_mark")
            {
                string call = e.GetProperty("args").GetProperty("call").GetString()!;
                marks[(pid, tid, ts + 1)] = call.Split('"')[1];
            }
            else if (ph == "s" && e.GetProperty("cat").GetString() == "portal") starts[e.GetProperty("id").GetInt64()] = (pid, tid, ts, e.GetProperty("name").GetString()!);
            else if (ph == "f" && e.GetProperty("cat").GetString() == "portal") ends.Add((e.GetProperty("id").GetInt64(), pid, tid, ts));
        }
        ends.Count.ShouldBe(starts.Count);
        ends.Count.ShouldBeGreaterThan(10);
        // chain (the mark without its step) -> the pids of its steps, from the arrows
        var chains = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach ((long id, int pid, int tid, long ts) in ends.OrderBy(x => x.Ts))
        {
            var s = starts[id];
            string from = marks[(s.Pid, s.Tid, s.Ts)], to = marks[(pid, tid, ts)];
            string chain = from[..from.LastIndexOf(' ')];
            to[..to.LastIndexOf(' ')].ShouldBe(chain);
            if (!chains.TryGetValue(chain, out List<int>? pids)) chains[chain] = pids = [s.Pid];
            pids[^1].ShouldBe(s.Pid);
            pids.Add(pid);
        }
        chains["portal 2.1 parcel 0.0"].ShouldBe([2, 1, 3]);
        chains["portal 2.1 parcel 0.5"].ShouldBe([2, 3]);
        chains["portal 2.1 parcel 1.5"].ShouldBe([3, 2]);
        List<int> proxyA = chains.Single(c => c.Key.StartsWith("portal 2.1 bypass 1>", StringComparison.Ordinal)).Value;
        proxyA.First().ShouldBe(1); // the proxy locks ...
        proxyA.Last().ShouldBe(1);  // ... and is gone at the end
        proxyA.ShouldContain(3);    // C adopted the new hop (or linked it)
    }

    /// <summary>
    /// The protobuf export (<c>--format perfetto-proto</c>) draws the same portal arrows as the JSON export: from
    /// trace_mark to trace_mark, B (pid 2) -> A (pid 1) -> C (pid 3) for the first parcel, then straight between B and
    /// C both ways.
    /// </summary>
    [Fact]
    public void The_protobuf_export_draws_the_same_portal_arrows()
    {
        using var f = new TraceFixture();
        string trace = f.Record("portals");
        string json = f.PathOf("portals.json"), proto = f.PathOf("portals.pftrace");
        TraceFixture.Mk("trace", "export", "--format", "perfetto-proto", trace, proto).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("trace", "export", "--format", "perfetto", trace, json).Code.ShouldBe(ExitCodes.Ok);
        List<(string From, string To)> protoArrows, jsonArrows;
        using (FileStream input = File.OpenRead(proto)) protoArrows = PortalArrows(PerfettoModel.FromProto(input));
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(json))) jsonArrows = PortalArrows(PerfettoModel.FromJson(doc));
        protoArrows.Count.ShouldBeGreaterThan(10);
        protoArrows.Order().ShouldBe(jsonArrows.Order());
        string Pid(string slice) => slice[..slice.IndexOf('/', StringComparison.Ordinal)];
        var hops = protoArrows.Select(a => (Pid(a.From), Pid(a.To))).ToHashSet();
        hops.ShouldContain(("2", "1")); // B -> the proxy at A
        hops.ShouldContain(("1", "3")); // A -> C
        hops.ShouldContain(("2", "3")); // direct, once the route reduced
        hops.ShouldContain(("3", "2"));
    }

    // The flows whose both ends are trace_mark slices: "track | trace_mark @ ts" each.
    private static List<(string From, string To)> PortalArrows(PerfettoModel m) =>
        [.. m.Flows.Select(x => x.Split(" -> ")).Where(x => x.Length == 2 && x[0].Contains("| trace_mark @", StringComparison.Ordinal) && x[1].Contains("| trace_mark @", StringComparison.Ordinal)).Select(x => (x[0], x[1]))];
}
