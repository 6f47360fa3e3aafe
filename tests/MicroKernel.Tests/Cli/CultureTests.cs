using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// The culture tests change the process-wide default culture of new threads (simulated threads are host threads):
/// they must not run beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CultureCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "culture";
}

/// <summary>
/// The same run prints and records the same bytes under any host culture. The test host runs with
/// InvariantGlobalization (as mk does), so no ICU culture can be loaded here; instead the tests install a culture of
/// their own that formats figures the way Swedish, Arabic or Persian hosts do (U+2212 minus, decimal comma, group
/// separators, another percent sign). Library code that formats with the current culture is caught by it whether or
/// not a host has culture data.
/// </summary>
[Collection(CultureCollection.Name)]
public class CultureTests
{
    /// <summary>An invariant culture clone whose number formats differ from the invariant ones wherever they can.</summary>
    internal static CultureInfo Hostile()
    {
        var c = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        NumberFormatInfo n = c.NumberFormat;
        n.NegativeSign = "\u2212";
        n.PositiveSign = "\u002B\u200E";
        n.NumberDecimalSeparator = ",";
        n.NumberGroupSeparator = "\u00A0";
        n.CurrencyDecimalSeparator = ",";
        n.PercentDecimalSeparator = ",";
        n.PercentSymbol = "\u066A";
        n.NaNSymbol = "\u0644\u064A\u0633 \u0631\u0642\u0645";
        return c;
    }

    /// <summary>Runs <paramref name="action"/> with <paramref name="culture"/> on this thread and every new one.</summary>
    internal static T Under<T>(CultureInfo culture, Func<T> action)
    {
        CultureInfo current = CultureInfo.CurrentCulture, ui = CultureInfo.CurrentUICulture;
        CultureInfo? threadDefault = CultureInfo.DefaultThreadCurrentCulture, threadUiDefault = CultureInfo.DefaultThreadCurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = culture;
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = current;
            CultureInfo.CurrentUICulture = ui;
            CultureInfo.DefaultThreadCurrentCulture = threadDefault;
            CultureInfo.DefaultThreadCurrentUICulture = threadUiDefault;
        }
    }

    [Theory]
    [InlineData("mk.runtimeconfig.json")]
    [InlineData("MicroKernel.Tests.runtimeconfig.json")]
    public void Mk_and_the_test_host_run_without_culture_data(string runtimeConfig)
    {
        string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, runtimeConfig));
        json.ShouldContain("\"System.Globalization.Invariant\": true");
    }

    [Fact]
    public void The_test_host_really_is_in_invariant_mode()
    {
        // With culture data a Swedish culture would load; in invariant mode only the invariant culture exists.
        Should.Throw<CultureNotFoundException>(() => new CultureInfo("sv-SE"));
    }

    [Fact]
    public void The_hostile_culture_really_formats_differently()
    {
        // Without this the comparisons below could pass vacuously.
        Under(Hostile(), () => (-20).ToString()).ShouldBe("\u221220");
        Under(Hostile(), () => $"{-20L} {1.5}").ShouldBe("\u221220 1,5");
    }

    [Fact]
    public void An_error_result_prints_with_an_ascii_minus_under_any_culture()
    {
        Under(Hostile(), () => EventFormatter.FormatResult((long)ErrorCode.NoSuchObject)).ShouldBe("-20 NoSuchObject");
        Under(Hostile(), () => ((ErrorCode)(-999)).Message()).ShouldBe("error -999");
    }

    [Fact]
    public void A_refused_syscall_escaping_a_program_is_recorded_with_an_ascii_minus()
    {
        string? text = Under(Hostile(), () =>
        {
            var k = TestKernels.Boot();
            k.Spawn("crasher", _ => throw new Userland.Runtime.SyscallException(SyscallNumber.Map, ErrorCode.BadAddress));
            return k.RunLogged().Log.Events.Single(e => e.Kind == EventKind.Fault).Text;
        });
        text.ShouldEndWith("(-3)");
    }

    public static TheoryData<string> BuiltIns => new(ScenarioRunner.BuiltInNames);

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void A_run_prints_and_records_the_same_bytes_under_a_foreign_culture(string scenario)
    {
        using var f = new TraceFixture();
        Run invariant = Under(CultureInfo.InvariantCulture, () => RunAndShow(f, scenario, "invariant"));
        Run foreign = Under(Hostile(), () => RunAndShow(f, scenario, "foreign"));

        foreign.Code.ShouldBe(invariant.Code);
        foreign.Out.ShouldBe(invariant.Out);
        foreign.Err.ShouldBe(invariant.Err);
        foreign.Show.ShouldBe(invariant.Show);
        foreign.Replay.ShouldBe(invariant.Replay);
        foreign.Divergence.ShouldBe(invariant.Divergence);
        foreign.Perfetto.ShouldBe(invariant.Perfetto);
        foreign.TraceBytes.ShouldBe(invariant.TraceBytes, "the recorded trace differs byte for byte");
        invariant.Out.ShouldNotContain("\u2212");
    }

    [Fact]
    public void The_rpc_run_really_prints_negative_results_and_error_names()
    {
        // The comparison above is only meaningful if the output holds figures a culture could change.
        using var f = new TraceFixture();
        Run run = Under(Hostile(), () => RunAndShow(f, "rpc", "foreign"));
        run.Out.ShouldContain("= -20 NoSuchObject");
        run.Show.ShouldContain("= -18 PeerFaulted");
        run.Divergence.ShouldContain("diverge");
        run.Perfetto.ShouldContain("traceEvents");
    }

    private sealed record Run(int Code, string Out, string Err, string Show, string Replay, string Divergence, string Perfetto, byte[] TraceBytes);

    private static Run RunAndShow(TraceFixture f, string scenario, string tag)
    {
        string path = f.PathOf($"{scenario}-{tag}.mktrace");
        var (code, output, err) = TraceFixture.Mk("run", scenario, "--switches", "--dump-maps", "--trace", path);
        var show = TraceFixture.Mk("trace", "show", "--io", "--enters", path);
        var jsonl = TraceFixture.Mk("trace", "show", "--jsonl", path);
        var replay = TraceFixture.Mk("replay", path);
        var diverged = TraceFixture.Mk("replay", "--break", "write", path); // a divergence report (every scenario writes)
        string json = f.PathOf($"{scenario}-{tag}.json");
        TraceFixture.Mk("trace", "export", "--perfetto", path, json).Code.ShouldBe(ExitCodes.Ok);
        string Clean(string s) => s.Replace(path, "<trace>").Replace(json, "<json>");
        return new Run(code, Clean(output), Clean(err), Clean(show.Out + show.Err + jsonl.Out + jsonl.Err), Clean(replay.Out + replay.Err),
            Clean(diverged.Out + diverged.Err), File.ReadAllText(json), File.ReadAllBytes(path));
    }
}
