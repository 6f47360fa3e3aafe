using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;

namespace MicroKernel.Tests.Tracing;

public class CorruptTraceTests
{
    [Theory]
    [InlineData("replay")]
    [InlineData("show")]
    [InlineData("export")]
    public void A_truncated_trace_is_refused_with_its_offset_by_every_command(string command)
    {
        using var f = new TraceFixture();
        byte[] bytes = File.ReadAllBytes(f.Record("pages"));
        string cut = f.PathOf("cut.mktrace");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var (code, output, err) = Run(f, command, cut);

        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldBeEmpty();
        err.ShouldStartWith($"error: {cut}: offset ");
        err.ShouldContain("truncated");
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("export")]
    public void A_flipped_byte_in_the_middle_is_refused_with_its_offset(string command)
    {
        using var f = new TraceFixture();
        byte[] bytes = File.ReadAllBytes(f.Record("demo"));
        Trace good = TraceReader.Read(bytes, "good");
        int headerEnd = 14 + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(10)) + 4;
        int middle = headerEnd + (bytes.Length - headerEnd) / 2;
        bytes[middle] ^= 0x20;
        string bad = f.PathOf("bad.mktrace");
        File.WriteAllBytes(bad, bytes);

        var (code, output, err) = Run(f, command, bad);

        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldBeEmpty();
        err.ShouldStartWith($"error: {bad}: offset ");
        err.ShouldContain("CRC-32");
        err.ShouldContain("damaged");
        good.Events.Count.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Every_truncation_and_every_single_byte_change_is_a_format_error_never_a_crash()
    {
        using var f = new TraceFixture();
        byte[] bytes = File.ReadAllBytes(f.Record("deadlock"));
        TraceReader.Read(bytes, "intact").Events.Count.ShouldBeGreaterThan(0);
        for (int length = 0; length < bytes.Length; length++)
            Should.Throw<TraceFormatException>(() => TraceReader.Read(bytes[..length], "cut"), $"cut at {length}");
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[i] ^= (byte)(1 << (i % 8));
            TraceFormatException e = Should.Throw<TraceFormatException>(() => TraceReader.Read(copy, "flipped"), $"bit flipped in byte {i}");
            e.Offset.ShouldBeInRange(0, bytes.Length);
        }
    }

    [Fact]
    public void Not_a_trace_and_a_newer_format_are_named_as_such()
    {
        using var f = new TraceFixture();
        string text = f.PathOf("text.mktrace");
        File.WriteAllText(text, "process a program=hello\nthis is not a trace\n");
        TraceFixture.Mk("replay", text).Err.ShouldContain("offset 0: not an mktrace file");

        byte[] bytes = File.ReadAllBytes(f.Record("deadlock"));
        bytes[8] = 99;
        string newer = f.PathOf("newer.mktrace");
        File.WriteAllBytes(newer, bytes);
        var (code, _, err) = TraceFixture.Mk("trace", "show", newer);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("offset 8: format version 99");

        TraceFixture.Mk("replay", f.PathOf("missing.mktrace")).Err.ShouldContain("cannot read the file");
    }

    [Fact]
    public void Garbage_after_the_trailer_is_refused()
    {
        using var f = new TraceFixture();
        byte[] bytes = File.ReadAllBytes(f.Record("deadlock"));
        Should.Throw<TraceFormatException>(() => TraceReader.Read([.. bytes, 0x42], "extra")).Message.ShouldContain("bytes follow the trailer");
    }

    [Fact]
    public void A_header_that_does_not_match_its_scenario_is_refused_before_replaying()
    {
        using var f = new TraceFixture();
        Sim.Scenarios.Scenario s = Sim.Scenarios.ScenarioRunner.Load("deadlock");
        var header = TraceHeader.For(s.Name, s.Source, Sim.Scenarios.ScenarioRunner.BuiltInText("deadlock"), s.Config with { Quantum = 9 },
            TraceCommands.SyscallTable(), new Dictionary<string, string?>());
        string path = f.PathOf("inconsistent.mktrace");
        using (var writer = new TraceWriter(File.Create(path), header)) writer.Finish(new RunResult(RunOutcome.Completed, 0, 0, [], null, null));
        var (code, output, err) = TraceFixture.Mk("replay", path);
        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldBeEmpty();
        err.ShouldContain("Quantum = 4, but the recording ran with 9");
    }

    private static (int Code, string Out, string Err) Run(TraceFixture f, string command, string path) => command switch
    {
        "replay" => TraceFixture.Mk("replay", path),
        "show" => TraceFixture.Mk("trace", "show", path),
        _ => TraceFixture.Mk("trace", "export", "--perfetto", path, f.PathOf("out.json")),
    };
}
