using System.Globalization;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The setup phase (seed 000): blocks declare their element attributes, and the pool reconciles them into one
/// packet layout before any packet flows. A set that cannot be reconciled is a <see cref="StreamSetupException"/>
/// naming both blocks of the first conflict found (declarations are checked in the order given).
/// </summary>
public static class StreamSetup
{
    /// <summary>Reconciles <paramref name="declared"/> (at least one) into one layout.</summary>
    public static PacketLayout Reconcile(IReadOnlyList<ElementAttributes> declared)
    {
        if (declared.Count == 0) throw new ArgumentException("stream setup: no block declared its attributes", nameof(declared));
        foreach (ElementAttributes a in declared)
        {
            if (a.Alignment == 0 || (a.Alignment & (a.Alignment - 1)) != 0)
                throw new StreamSetupException(a.Owner, a.Owner, Text($"alignment {a.Alignment} is not a power of two"));
            if (a.MinBufferSize == 0 || a.MinBufferSize > a.MaxBufferSize)
                throw new StreamSetupException(a.Owner, a.Owner, Text($"buffer size range [{a.MinBufferSize}, {a.MaxBufferSize}] is empty"));
        }

        // The size: the largest minimum, which every block's maximum must hold.
        ElementAttributes biggest = declared.MaxBy(a => a.MinBufferSize)!;
        foreach (ElementAttributes a in declared)
            if (a.MaxBufferSize < biggest.MinBufferSize)
                throw new StreamSetupException(biggest.Owner, a.Owner, Text($"{biggest.Owner} needs buffers of at least {biggest.MinBufferSize} bytes, {a.Owner} handles at most {a.MaxBufferSize}"));

        // Access: a block that needs the bytes stable while it reads cannot share packets with one that writes them.
        foreach (ElementAttributes stable in declared.Where(a => a.Access.HasFlag(StreamAccess.ReadStable)))
            foreach (ElementAttributes writer in declared.Where(a => a != stable && a.Access.HasFlag(StreamAccess.Write)))
                throw new StreamSetupException(stable.Owner, writer.Owner, $"{stable.Owner} needs the buffer stable while it reads, {writer.Owner} writes it in place");

        ulong alignment = declared.Max(a => a.Alignment);
        StreamAccess access = declared.Aggregate(StreamAccess.None, (x, a) => x | a.Access);
        SyncRequirement sync = declared.Aggregate(SyncRequirement.None, (x, a) => x | a.Sync);
        return new PacketLayout(biggest.MinBufferSize, alignment, access, sync);
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
