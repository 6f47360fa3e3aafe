using Microsoft.CodeAnalysis;
using static MicroKernel.Tests.Analyzers.AnalyzerHarness;

namespace MicroKernel.Tests.Analyzers;

/// <summary>MK0001: what counts as writable static state, and what counts as program code (docs/architecture.md).</summary>
public class WritableStaticAnalyzerTests
{
    private static async Task<Diagnostic> Single(string source)
    {
        var found = await Mk0001(source);
        found.Length.ShouldBe(1, string.Join("\n", found));
        return found[0];
    }

    private static async Task ShouldAllow(string source) => (await Mk0001(source)).ShouldBeEmpty();

    [Fact]
    public async Task A_static_field_of_a_program_is_refused_naming_the_field_and_the_alternatives()
    {
        Diagnostic d = await Single("class P : UserProgram { static int Count; public override long Main(Sys s) => Count++; }");
        d.Severity.ShouldBe(DiagnosticSeverity.Error);
        string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        message.ShouldContain("'P.Count'");
        message.ShouldContain("not readonly");
        message.ShouldContain("user memory");
        message.ShouldContain("IPC");
        d.Location.GetLineSpan().StartLinePosition.Character.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_static_auto_property_with_a_setter_is_refused() =>
        (await Single("class P : UserProgram { public static bool Done { get; set; } public override long Main(Sys s) => 0; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'P.Done'");

    [Theory]
    [InlineData("static readonly int[] Table = [1, 2];", "int[]")]
    [InlineData("static readonly List<int> Seen = new();", "List<int>")]
    [InlineData("static List<int> Seen { get; } = new();", "List<int>")]
    [InlineData("static readonly System.Collections.Immutable.ImmutableArray<int[]> Rows = [];", "ImmutableArray<int[]>")]
    [InlineData("static readonly Memory<byte> Buffer = new byte[4];", "Memory<byte>")]
    public async Task A_readonly_static_of_a_mutable_type_is_refused(string member, string type)
    {
        string message = (await Single($"class P : UserProgram {{ {member} public override long Main(Sys s) => 0; }}"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        message.ShouldContain($"its type {type} is mutable");
    }

    [Fact]
    public async Task A_thread_static_is_refused_because_an_rpc_method_runs_on_the_callers_thread() =>
        (await Single("class P : UserProgram { [ThreadStatic] static int t_depth; public override long Main(Sys s) => t_depth; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("[ThreadStatic]");

    [Fact]
    public async Task A_static_field_like_event_is_refused() =>
        (await Single("class P : UserProgram { static event Action? Ticked; public override long Main(Sys s) { Ticked?.Invoke(); return 0; } }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'P.Ticked'");

    [Fact]
    public async Task A_type_nested_in_a_program_is_program_code() =>
        (await Single("class P : UserProgram { class Helper { public static int Calls; } public override long Main(Sys s) => Helper.Calls; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'P.Helper.Calls'");

    [Fact]
    public async Task An_indirect_subclass_of_UserProgram_is_program_code() =>
        (await Single("abstract class Base : UserProgram { } sealed class P : Base { static long Last; public override long Main(Sys s) => Last; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'P.Last'");

    [Fact]
    public async Task A_type_marked_ProgramCode_is_program_code() =>
        (await Single("[ProgramCode] static class Shared { public static int Flag; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'Shared.Flag'");

    [Fact]
    public async Task A_namespace_named_by_ProgramNamespace_and_the_namespaces_inside_it_are_program_code()
    {
        var found = await Mk0001("""
            [assembly: ProgramNamespace("Demo.Programs")]
            namespace Demo.Programs { static class A { public static int X; } }
            namespace Demo.Programs.Inner { static class B { public static int Y; } }
            namespace Demo.ProgramsElsewhere { static class C { public static int Z; } }
            namespace Demo { static class D { public static int W; } }
            """);
        found.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split(' ')[0])
            .ShouldBe(["'A.X'", "'B.Y'"]);
    }

    [Fact]
    public async Task A_class_whose_objects_are_exported_with_Rpc_Export_is_program_code()
    {
        var found = await Mk0001("""
            public interface ICounter { long Next(); }
            sealed class Counter : ICounter { static long s_next; public long Next() => ++s_next; }
            sealed class Unexported : ICounter { static long s_next; public long Next() => ++s_next; }
            static class Host
            {
                public static void Serve(Sys sys) => Rpc.Export<ICounter>(new Counter(), "counter");
            }
            """);
        found.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split(' ')[0]).ShouldBe(["'Counter.s_next'"]);
    }

    [Fact]
    public async Task Several_writable_statics_are_each_reported() =>
        (await Mk0001("class P : UserProgram { static int A; static string B = \"\"; static readonly byte[] C = []; public override long Main(Sys s) => A + B.Length + C.Length; }"))
            .Length.ShouldBe(3);

    [Fact]
    public async Task Constants_immutable_readonly_statics_and_instance_fields_are_allowed() => await ShouldAllow("""
        using System.Collections.Frozen;
        using System.Collections.Immutable;
        enum Mode { A, B }
        readonly struct Pair(int a, int b) { public int A { get; } = a; public int B { get; } = b; }
        sealed record Limits(int Low, string Name);
        class P : UserProgram
        {
            const int Size = 4096;
            static readonly int Pages = 4;
            static readonly string Name = "p";
            static readonly Mode Start = Mode.B;
            static readonly Func<int, int> Twice = x => 2 * x;
            static readonly Type Self = typeof(P);
            static readonly Pair Origin = new(0, 0);
            static readonly Limits Bounds = new(1, "b");
            static readonly ImmutableArray<int> Primes = [2, 3, 5];
            static readonly FrozenDictionary<string, int> Codes = new Dictionary<string, int> { ["a"] = 1 }.ToFrozenDictionary();
            static int Answer { get; } = 42;
            static int Computed => Size * 2;
            private int _counter;
            private readonly List<int> _seen = [];
            public override long Main(Sys s) => Size + Pages + Name.Length + (int)Start + Twice(_counter) + Self.Name.Length
                + Origin.A + Bounds.Low + Primes[0] + Codes["a"] + Answer + Computed + _seen.Count;
        }
        """);

    [Fact]
    public async Task A_readonly_static_of_a_class_with_a_writable_field_or_an_unsealed_class_is_refused()
    {
        var found = await Mk0001("""
            sealed class Box { public int Value; }
            class Open { public readonly int Value; }
            class P : UserProgram
            {
                static readonly Box Shared = new();
                static readonly Open Other = new();
                public override long Main(Sys s) => Shared.Value + Other.Value;
            }
            """);
        found.Length.ShouldBe(2);
    }

    [Fact]
    public async Task Statics_of_code_that_is_not_program_code_are_not_checked() => await ShouldAllow("""
        static class HostCounters { public static int Runs; public static readonly List<string> Log = []; }
        class Harness { static int s_calls; public int Calls => s_calls++; }
        """);

    [Fact]
    public async Task HostState_with_a_reason_exempts_and_an_empty_reason_does_not()
    {
        var found = await Mk0001("""
            class P : UserProgram
            {
                [ThreadStatic, HostState("which process this host thread acts for; restored on exit")] static P? t_current;
                [HostState(" ")] static int s_blank;
                public override long Main(Sys s) => t_current is null ? s_blank : 0;
            }
            """);
        found.Length.ShouldBe(1);
        found[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture).ShouldContain("'P.s_blank'");
    }

    [Fact]
    public async Task A_class_named_UserProgram_in_another_namespace_is_not_the_base_of_programs()
    {
        // The rule keys on MicroKernel.Userland.Runtime.UserProgram itself, not on the name.
        await ShouldAllow("namespace Other { abstract class UserProgram { } class P : UserProgram { static int X; public int Get() => X; } }");
    }
}
