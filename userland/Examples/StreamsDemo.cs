using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Userland.Examples;

/// <summary>What the programs of the <c>streams</c> scenario share: the layout's declarations, the frame pattern, names.</summary>
internal static class StreamsDemo
{
    /// <summary>Payload bytes per frame: a transfer segment (16-byte header + payload) is exactly one page.</summary>
    public const ulong FrameBytes = 4096 - BoundaryProtocol.HeaderSize;

    /// <summary>What a consumer behind a boundary declares on its own side (its pool's attributes).</summary>
    public static ElementAttributes Consumer(string name) => new(name, FrameBytes, 65536, 64, StreamAccess.Read, SyncRequirement.Wakeup);

    /// <summary>The notification a consumer creates once its segment handler is bound.</summary>
    public static string ReadyName(int pid) => $"streams-ready-{pid}";

    /// <summary>Writes frame <paramref name="sequence"/>'s pattern into <paramref name="packet"/>.</summary>
    public static void Fill(Sys sys, Packet packet, ulong sequence)
    {
        packet.Sequence = sequence;
        packet.Length = FrameBytes;
        sys.Memory.WriteUInt64(packet.Address, sequence);
        sys.Memory.WriteUInt64(packet.Address + 8, Check(sequence));
        sys.Memory.WriteUInt64(packet.Address + FrameBytes - 8, ~sequence);
    }

    /// <summary>True when <paramref name="packet"/> holds frame <see cref="Packet.Sequence"/>'s pattern intact.</summary>
    public static bool Intact(Sys sys, Packet packet) =>
        packet.Length == FrameBytes
        && sys.Memory.ReadUInt64(packet.Address) == packet.Sequence
        && sys.Memory.ReadUInt64(packet.Address + 8) == Check(packet.Sequence)
        && sys.Memory.ReadUInt64(packet.Address + FrameBytes - 8) == ~packet.Sequence;

    private static ulong Check(ulong sequence) => sequence * 0x9E3779B97F4A7C15UL;
}
