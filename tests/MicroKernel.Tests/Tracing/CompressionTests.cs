using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary><c>--compress</c>: each block stored compressed (Brotli or zlib), detected by readers block by block.</summary>
public class CompressionTests
{
    [Theory]
    [InlineData("brotli")]
    [InlineData("zlib")]
    public void A_compressed_trace_holds_the_same_events_in_fewer_bytes(string name)
    {
        TraceCompression codec = name == "zlib" ? TraceCompression.ZLib : TraceCompression.Brotli;
        var plain = new MemoryStream();
        var packed = new MemoryStream();
        LongTraces.Record(20_000, plain);
        LongTraces.Record(20_000, packed, codec);
        packed.Length.ShouldBeLessThan(plain.Length / 2);

        using Trace a = TraceReader.Read(plain.ToArray(), "plain");
        using Trace b = TraceReader.Read(packed.ToArray(), "packed");
        b.Summary.ShouldBe(a.Summary);
        b.Index!.Blocks.Select(x => (x.FirstSeq, x.Count, x.FirstTick, x.LastTick)).ShouldBe(a.Index!.Blocks.Select(x => (x.FirstSeq, x.Count, x.FirstTick, x.LastTick)));
        b.Events.Select(e => e.Event).ShouldBe(a.Events.Select(e => e.Event));
        // Every block says its codec: the first block's byte after the tag.
        byte[] bytes = packed.ToArray();
        bytes[b.Index.Blocks[0].Offset + 1].ShouldBe((byte)codec);
    }

    [Fact]
    public void A_damaged_compressed_block_is_refused_with_its_offset()
    {
        var packed = new MemoryStream();
        LongTraces.Record(20_000, packed, TraceCompression.Brotli);
        byte[] bytes = packed.ToArray();
        long offset;
        using (Trace t = TraceReader.Read(bytes, "packed")) offset = t.Index!.Blocks[1].Offset;
        bytes[offset + TraceFormat.BlockHeaderSize + 5] ^= 0x04;
        Should.Throw<TraceFormatException>(() => TraceReader.Read(bytes, "packed")).Message.ShouldContain($"offset {offset}: the block of events");
    }

    [Fact]
    public void Run_compress_records_a_trace_that_replays_and_shows_as_the_plain_one()
    {
        using var f = new TraceFixture();
        string plain = f.Record("queue");
        string packed = f.Record("queue", "--compress");
        string zlib = f.Record("queue", "--compress", "zlib");
        new FileInfo(packed).Length.ShouldBeLessThan(new FileInfo(plain).Length);
        var (code, output, err) = TraceFixture.Mk("replay", packed);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain("OK: all");
        string expected = TraceFixture.Mk("trace", "show", plain, "--jsonl").Out;
        TraceFixture.Mk("trace", "show", packed, "--jsonl").Out.ShouldBe(expected);
        TraceFixture.Mk("trace", "show", zlib, "--jsonl").Out.ShouldBe(expected);
        TraceFixture.Mk("run", "queue", "--trace", f.PathOf("x.mktrace"), "--compress", "lz4").Code.ShouldBe(ExitCodes.Usage);
        var (alone, _, aloneErr) = TraceFixture.Mk("run", "queue", "--compress");
        alone.ShouldBe(ExitCodes.Usage);
        aloneErr.ShouldContain("--compress: only with --trace FILE");
    }

    [PythonFact]
    public void The_python_reader_reads_zlib_blocks_and_names_what_it_needs_for_brotli_ones()
    {
        using var f = new TraceFixture();
        string zlib = f.Record("queue", "--compress", "zlib");
        var (code, actual, err) = PythonReader.Run(zlib);
        code.ShouldBe(0, err);
        actual.ShouldBe(TraceFixture.Mk("trace", "show", zlib, "--jsonl").Out);

        string brotli = f.Record("queue", "--compress", "brotli");
        var (brotliCode, brotliOut, brotliErr) = PythonReader.Run(brotli);
        if (brotliCode == 0) brotliOut.ShouldBe(TraceFixture.Mk("trace", "show", brotli, "--jsonl").Out); // the brotli module is installed
        else
        {
            brotliCode.ShouldBe(3, brotliErr); // PythonReaderTests hides the module to check this path everywhere
            brotliErr.ShouldContain("is compressed with Brotli (codec 1)");
            brotliErr.ShouldContain("install the third-party brotli module (pip install brotli)");
        }
    }
}
