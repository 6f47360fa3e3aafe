using System.Text.RegularExpressions;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// Large pages end to end: a program asks map for one (MapFlags.LargePages, in the prot argument), the trace shows
/// the flag, --dump-maps shows the VMA and the PD entry with PS, and the run's tlb line counts the large-page hits.
/// </summary>
public sealed class LargePageCliTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    private string Scenario(string args)
    {
        string path = _files.PathOf($"reach-{args}.scn");
        File.WriteAllText(path, $"memory 2048\nprotection paging\nprocess p program=tlb-reach{(args == "" ? "" : " args=" + args)}\n" +
            "expect process=p prints=\"tlb-reach: 4 sweeps of 512 pages, sum 523264\"\nexpect no-faults\n");
        return path;
    }

    private static long Figure(string output, string pattern) =>
        long.Parse(Regex.Match(output, pattern).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_2_MiB_map_shows_in_the_trace_the_maps_and_the_TLB_line_and_misses_512_times_less()
    {
        var (code, large, _) = TraceFixture.Mk("run", Scenario("large"), "--dump-maps");
        code.ShouldBe(0, large);
        large.ShouldContain("map(0x0, 2097152, rw-|large) = 0x10200000");
        large.ShouldContain("000010200000-000010400000 rw-p anon_hugepage");
        large.ShouldMatch(@"PD\[129\] 0x[0-9a-f]{16} P RW US A D PS NX\s+va 0x000010200000 2 MiB page, frames \d+\.\.\d+");

        var (smallCode, small, _) = TraceFixture.Mk("run", Scenario(""));
        smallCode.ShouldBe(0, small);
        const string misses = @"tlb: \d+ hits \(\d+ by large pages\), (\d+) misses";
        Figure(large, @"tlb: \d+ hits \((\d+) by large pages\)").ShouldBeGreaterThanOrEqualTo(2047, "4 x 512 reads and 512 writes, all but the first served by one entry");
        Figure(small, misses).ShouldBeGreaterThan(2560 - 50, "512 pages thrash a 64-entry TLB: every access walks");
        Figure(large, misses).ShouldBeLessThan(100);
    }

    [Fact]
    public void Under_an_MPU_the_flag_is_refused_and_the_program_says_so()
    {
        string path = _files.PathOf("reach-mpu.scn");
        File.WriteAllText(path, "memory 2048\nprotection armv8m\nprocess p program=tlb-reach args=large\nexpect no-faults\n");
        var (code, output, _) = TraceFixture.Mk("run", path);
        code.ShouldBe(0, output);
        output.ShouldContain("map(0x0, 2097152, rw-|large) = -2 InvalidArgument");
        output.ShouldContain("tlb-reach: no large page here (InvalidArgument), using 4 KiB pages");
    }
}
