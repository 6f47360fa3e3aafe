using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Tests.Streams;

/// <summary>The setup phase: attributes reconciled into one layout, and the errors that name both sides.</summary>
public class StreamSetupTests
{
    [Fact]
    public void Reconciliation_takes_the_largest_minimum_the_largest_alignment_and_every_need()
    {
        PacketLayout layout = StreamSetup.Reconcile([
            new ElementAttributes("camera", 4080, 1 << 20, 64, StreamAccess.Write),
            new ElementAttributes("display", 1024, 8192, 16, StreamAccess.Read, SyncRequirement.Wakeup),
        ]);
        layout.ShouldBe(new PacketLayout(4080, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.Wakeup));
        layout.Stride.ShouldBe(4096UL);
    }

    [Fact]
    public void A_buffer_bigger_than_a_consumer_handles_is_an_error_naming_both()
    {
        var e = Should.Throw<StreamSetupException>(() => StreamSetup.Reconcile([
            new ElementAttributes("camera", 1 << 20, 1 << 20, 64, StreamAccess.Write),
            new ElementAttributes("thumbnailer", 1024, 65536, 16, StreamAccess.Read),
        ]));
        (e.First, e.Second).ShouldBe(("camera", "thumbnailer"));
        e.Message.ShouldBe("stream setup: camera and thumbnailer: camera needs buffers of at least 1048576 bytes, thumbnailer handles at most 65536");
    }

    [Fact]
    public void A_reader_that_needs_stable_bytes_and_an_in_place_writer_cannot_share_packets()
    {
        var e = Should.Throw<StreamSetupException>(() => StreamSetup.Reconcile([
            new ElementAttributes("encoder", 4096, 4096, 64, StreamAccess.ReadStable),
            new ElementAttributes("overlay", 4096, 4096, 64, StreamAccess.Read | StreamAccess.Write),
        ]));
        e.Message.ShouldBe("stream setup: encoder and overlay: encoder needs the buffer stable while it reads, overlay writes it in place");
    }

    [Theory]
    [InlineData(0UL, 4096UL, 64UL, "buffer size range [0, 4096] is empty")]
    [InlineData(8192UL, 4096UL, 64UL, "buffer size range [8192, 4096] is empty")]
    [InlineData(4096UL, 4096UL, 48UL, "alignment 48 is not a power of two")]
    public void A_declaration_wrong_alone_names_its_block(ulong min, ulong max, ulong alignment, string message)
    {
        var e = Should.Throw<StreamSetupException>(() => StreamSetup.Reconcile([new ElementAttributes("odd", min, max, alignment, StreamAccess.Read)]));
        e.Message.ShouldBe("stream setup: odd and odd: " + message);
        Should.Throw<ArgumentException>(() => StreamSetup.Reconcile([]));
    }

    [Fact]
    public void Across_a_boundary_sizes_travel_access_is_the_copys_and_sync_stays_home()
    {
        var stable = new ElementAttributes("recorder", 4080, 65536, 64, StreamAccess.ReadStable | StreamAccess.Write, SyncRequirement.Wakeup);
        stable.ExportAcrossBoundary("boundary:recorder").ShouldBe(new ElementAttributes("boundary:recorder", 4080, 65536, 64, StreamAccess.Read, SyncRequirement.None));
        // So an in-place writer upstream no longer conflicts with it: the recorder reads its own copy.
        StreamSetup.Reconcile([new ElementAttributes("overlay", 4080, 4080, 64, StreamAccess.Write), stable.ExportAcrossBoundary("boundary:recorder")])
            .Access.ShouldBe(StreamAccess.Read | StreamAccess.Write);
    }
}
