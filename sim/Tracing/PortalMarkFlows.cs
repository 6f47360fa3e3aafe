using System.Text;
using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// The flows both Perfetto exports draw between trace marks (trace_mark calls, docs/trace-format.md#marks) of the
/// portals grammar: <c>portal ROUTE parcel SIDE.SEQ STEP</c> and <c>portal ROUTE bypass P&gt;R.KEY STEP</c>. Each
/// step of one (ROUTE, kind, id) gets an arrow from the step before it; a chain ends at <c>got</c> (the parcel
/// reached its endpoint) or <c>gone</c> (the proxy dropped out). Memory holds the chains not yet ended.
/// </summary>
/// <typeparam name="T">What an exporter keeps of a step to start the arrow to the next one.</typeparam>
internal sealed class PortalMarkFlows<T>
{
    private readonly Dictionary<string, T> _last = new(StringComparer.Ordinal);

    /// <summary>
    /// The mark of a trace_mark exit with its bytes in the trace, split as the grammar says: the chain it belongs to,
    /// the flow's name (<c>parcel</c> or <c>bypass</c>) and whether the chain ends here; false for any other event or
    /// mark.
    /// </summary>
    public static bool TryParse(TraceEvent te, out string chain, out string name, out bool last)
    {
        chain = name = "";
        last = false;
        if (te.Event.Code != (long)SyscallNumber.TraceMark || te.Event.Result != 0 || te.Io is not { } io) return false;
        IoSegment? read = io.Segments.FirstOrDefault(s => !s.Written && s.Bytes is not null);
        if (read is null) return false;
        string[] words = Encoding.ASCII.GetString(read.Bytes!).Split(' ');
        if (words.Length != 5 || words[0] != "portal" || words[2] is not ("parcel" or "bypass")) return false;
        chain = string.Join(' ', words[1..4]);
        name = words[2];
        last = words[4] is "got" or "gone";
        return true;
    }

    /// <summary>
    /// A step of <paramref name="chain"/> at <paramref name="here"/>: the step before it (where its arrow starts), or
    /// none for the first; the chain forgets its steps when <paramref name="last"/>.
    /// </summary>
    public bool Step(string chain, T here, bool last, out T previous)
    {
        bool has = _last.Remove(chain, out previous!);
        if (!last) _last[chain] = here;
        return has;
    }
}
