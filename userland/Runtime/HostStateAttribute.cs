namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The one escape hatch of analyzer rule MK0001: a static of program code that is host plumbing, not program state
/// (e.g. the runtime's record of which <see cref="Sys"/> the current host thread runs for). It must say why; an empty
/// reason does not exempt. Every use is a claim a reviewer checks: grep for <c>HostState(</c>.
/// </summary>
/// <param name="reason">Why this static is not state one process could pass to another.</param>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Event, Inherited = false)]
public sealed class HostStateAttribute(string reason) : Attribute
{
    /// <summary>Why the static is host plumbing.</summary>
    public string Reason { get; } = reason;
}
