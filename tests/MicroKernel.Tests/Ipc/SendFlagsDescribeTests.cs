using MicroKernel.Ipc.PageSend;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// How traces spell send()'s flags (<see cref="SendFlagBits.Describe"/>, shown by `mk show` and in delivery events):
/// what happens to the pages, the receiver's rights, who receives, whether it blocks, and any reserved bits in hex.
/// </summary>
public class SendFlagsDescribeTests
{
    [Theory]
    [InlineData(SendFlags.None, "MOVE|RO")]
    [InlineData(SendFlags.ReceiverWrite, "MOVE|RW")]
    [InlineData(SendFlags.SenderKeeps, "SHARE|RO")]
    [InlineData(SendFlags.SenderKeeps | SendFlags.ReceiverWrite, "SHARE|RW")]
    [InlineData(SendFlags.Duplicate, "COPY|RO|SENDER-RO")]
    [InlineData(SendFlags.Duplicate | SendFlags.ReceiverWrite, "COPY|RW|SENDER-RO")]
    [InlineData(SendFlags.Duplicate | SendFlags.SenderKeeps, "COPY|RO")]
    [InlineData(SendFlags.Duplicate | SendFlags.SenderKeeps | SendFlags.ReceiverWrite, "COPY|RW")]
    public void What_happens_to_the_pages_and_the_receivers_rights_are_named(SendFlags flags, string text) =>
        SendFlagBits.Describe((ulong)flags).ShouldBe(text);

    [Theory]
    [InlineData(SendFlags.ToSelf, "MOVE|RO|SELF")]
    [InlineData(SendFlags.ToAll | SendFlags.SenderKeeps, "SHARE|RO|ALL")]
    [InlineData(SendFlags.ToAllButSelf | SendFlags.Duplicate, "COPY|RO|SENDER-RO|ALL-BUT-SELF")]
    [InlineData(SendFlags.Block, "MOVE|RO|BLOCK")]
    [InlineData(SendFlags.ToAll | SendFlags.SenderKeeps | SendFlags.ReceiverWrite | SendFlags.Block, "SHARE|RW|ALL|BLOCK")]
    public void The_target_and_the_block_flag_follow_in_order(SendFlags flags, string text) =>
        SendFlagBits.Describe((ulong)flags).ShouldBe(text);

    [Theory]
    [InlineData(0x40UL, "MOVE|RO|0x40")]
    [InlineData(0x8000_0000_0000_0021UL, "SHARE|RO|BLOCK|0x8000000000000000")]
    public void Reserved_bits_are_shown_in_hex_after_the_rest(ulong flags, string text) =>
        SendFlagBits.Describe(flags).ShouldBe(text);

    [Fact]
    public void The_masks_split_the_word_into_the_documented_fields()
    {
        SendFlagBits.TargetMask.ShouldBe((ulong)SendFlags.ToAllButSelf);
        SendFlagBits.Reserved.ShouldBe(~(ulong)(SendFlags.SenderKeeps | SendFlags.ReceiverWrite | SendFlags.Duplicate | SendFlags.ToAllButSelf | SendFlags.Block));
    }
}
