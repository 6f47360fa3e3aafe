namespace MicroKernel.Userland.Services.Streams;

/// <summary>Where a block pushes packets: a queue, a multicast, or a boundary source.</summary>
public interface IPacketSink
{
    /// <summary>
    /// Takes over one reference of <paramref name="packet"/> and returns true, or returns false and leaves that
    /// reference with the caller (which then releases it and counts a drop).
    /// </summary>
    bool Push(Packet packet);
}
