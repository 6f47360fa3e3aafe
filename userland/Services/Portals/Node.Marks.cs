using System.Text;

namespace MicroKernel.Userland.Services.Portals;

// Trace marks (docs/portals.md#watching-a-route-shorten): with TraceMarks on, the node annotates the trace at each
// step of a parcel's journey and of a bypass, through the generic trace_mark syscall; the Perfetto exports draw
// arrows between the steps, so a student sees the parcels' path get shorter. The kernel learns nothing of portals:
// a mark is bytes to it.
public sealed partial class Node
{
    /// <summary>
    /// When true, the node calls trace_mark (one kernel entry each) at every step of a parcel (put, fwd, got) and of a
    /// bypass (lock, link, adopt, gone), and when a route breaks, in the grammar of docs/trace-format.md#marks. Off by
    /// default: a parcel then costs no kernel entry of its own.
    /// </summary>
    public bool TraceMarks { get; set; }

    /// <summary>
    /// A route's name in marks: <c>P.N</c> for the N-th pair opened by node P, <c>L-H</c> for the first pair of
    /// the link between nodes L &lt; H.
    /// </summary>
    public static string RouteName(ulong route) =>
        (route & InitialRouteBit) != 0
            ? string.Create(CultureInfo.InvariantCulture, $"{route >> 32}-{route & 0x7FFF_FFFF}")
            : string.Create(CultureInfo.InvariantCulture, $"{route >> 32}.{route & 0xFFFF_FFFF}");

    private const ulong InitialRouteBit = 1UL << 31;

    private static ulong InitialRoute(int a, int b) => (ulong)(uint)Math.Min(a, b) << 32 | InitialRouteBit | (uint)Math.Max(a, b);

    // A parcel's step: "portal ROUTE parcel SIDE.SEQ STEP" (SIDE: the side that put it).
    private void MarkParcel(Router r, int side, long seq, string step)
    {
        if (TraceMarks) Mark(r, Text($"parcel {side}.{seq} {step}"));
    }

    // A bypass's step: "portal ROUTE bypass P>R.KEY STEP" (P: the proxy's node, R: its inward neighbour's, KEY: R's
    // hop to P), the same words at P, Q and R.
    private void MarkBypass(Router r, int proxyPid, int inwardPid, ulong key, string step)
    {
        if (TraceMarks) Mark(r, Text($"bypass {proxyPid}>{inwardPid}.{key} {step}"));
    }

    private void Mark(Router r, string what)
    {
        if (TraceMarks) _sys.TraceMark(Encoding.ASCII.GetBytes("portal " + RouteName(r.RouteId) + " " + what));
    }
}
