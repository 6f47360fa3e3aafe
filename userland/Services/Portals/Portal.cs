namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// An application's handle of a portal: a number that means something only to the node (process) that gave it out.
/// A portal sent in a parcel is no longer this node's; the receiving node hands out its own number for it.
/// </summary>
/// <param name="Id">The node-local number.</param>
public readonly record struct Portal(int Id)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"portal {Id}");
}
