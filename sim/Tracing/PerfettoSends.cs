using MicroKernel.Ipc.PageSend;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>A send still in flight: which handler runs it can have caused, and what its exporter keeps to draw the flows.</summary>
/// <typeparam name="T">Where the exporter starts the flows (a track and time, or flow ids).</typeparam>
internal sealed class PendingSend<T>(int pid, int targetPid, ulong type, ulong flags, int receivers, bool shmem, T source)
{
    /// <summary>The sending process.</summary>
    public int Pid { get; } = pid;

    /// <summary>The target pid of a directed send (flags target 0), or the segment's peer for shared memory.</summary>
    public int TargetPid { get; } = targetPid;

    /// <summary>The message type (the handler's type).</summary>
    public ulong Type { get; } = type;

    /// <summary>The send's flags (its target mode).</summary>
    public ulong Flags { get; } = flags;

    /// <summary>How many receivers it reached (the send's result; 1 for shared memory).</summary>
    public int Receivers { get; } = receivers;

    /// <summary>A shm_send or shm_call (matched only to segment handler runs), not a page send.</summary>
    public bool Shmem { get; } = shmem;

    /// <summary>What the exporter keeps of the send's start.</summary>
    public T Source { get; } = source;

    /// <summary>The receivers matched so far.</summary>
    public HashSet<int> Delivered { get; } = [];
}

/// <summary>
/// The cause of each handler run, for the flows of both Perfetto exports (<see cref="PerfettoExporter"/> and
/// <see cref="PerfettoProtoExporter"/>): the sends in flight, page sends (from the send's exit: it reached Result
/// receivers) and shared-memory sends and calls (from the entry: the segment handler runs before a shm_call returns),
/// and the owned shared memory seen so far (which pair a connection joins, which connection a segment is on) to know
/// a shm_send's receiver. A Delivery event is matched to the oldest send of its sender and type that can reach that
/// receiver and has not reached it yet. Memory holds only the sends in flight and the connections and segments made.
/// </summary>
/// <typeparam name="T">What an exporter keeps of a send to start its flows.</typeparam>
internal sealed class PerfettoSends<T>
{
    private readonly List<PendingSend<T>> _sends = [];
    private readonly Dictionary<ulong, (int A, int B)> _shmPairs = []; // shmem connection id -> its two pids (from shm_connect)
    private readonly Dictionary<ulong, ulong> _shmSegments = [];      // shmem segment id -> its connection (from shm_create)
    private readonly Dictionary<long, PendingSend<T>> _shmCalls = []; // shm_send / shm_call entry (seq) -> the send it may become

    /// <summary>Sends in flight (not yet matched to every receiver).</summary>
    public int InFlight => _sends.Count;

    /// <summary>
    /// At a syscall's entry: a shm_send or shm_call on a segment whose connection the trace showed becomes a send in
    /// flight from here (its segment handler may run before the call returns); <paramref name="source"/> makes what
    /// the exporter keeps of it. Null for any other call.
    /// </summary>
    public PendingSend<T>? Enter(in KernelEvent enter, Func<T> source)
    {
        if (enter.Code is not ((long)SyscallNumber.ShmSend or (long)SyscallNumber.ShmCall) || SegmentPeer(enter.A0, enter.Pid) is not int peer) return null;
        var send = new PendingSend<T>(enter.Pid, peer, enter.A1, 0, 1, shmem: true, source());
        _sends.Add(send);
        _shmCalls[enter.Seq] = send;
        return send;
    }

    /// <summary>
    /// At a syscall's exit (<paramref name="enterSeq"/>: its entry's sequence number): a send that reached receivers
    /// becomes a send in flight (returned; <paramref name="source"/> makes what the exporter keeps, given the number of
    /// receivers); shm_connect and shm_create are noted; a shm_send or shm_call that failed is no longer in flight.
    /// </summary>
    public PendingSend<T>? Exit(in KernelEvent exit, long enterSeq, Func<int, T> source)
    {
        if (exit.Code == (long)SyscallNumber.ShmConnect && exit.Result > 0) _shmPairs[(ulong)exit.Result] = (exit.Pid, (int)exit.A0);
        else if (exit.Code == (long)SyscallNumber.ShmCreate && exit.Result > 0) _shmSegments[(ulong)exit.Result] = exit.A0;
        if (_shmCalls.Remove(enterSeq, out PendingSend<T>? shm) && exit.Result < 0 && shm.Delivered.Count == 0) _sends.Remove(shm);
        if (exit.Code != (long)SyscallNumber.Send || exit.Result <= 0) return null;
        var send = new PendingSend<T>(exit.Pid, (int)exit.A0, exit.A1, exit.A4, (int)exit.Result, shmem: false, source((int)exit.Result));
        _sends.Add(send);
        return send;
    }

    /// <summary>
    /// At a Delivery event (a handler run ended, or a message could not be delivered): the send that caused it and
    /// which of its receivers this is (0 = the first matched), or null when no send in flight can have. A segment
    /// handler's Delivery names its segment in its text; a page send's has none.
    /// </summary>
    public (PendingSend<T> Send, int Receiver)? Deliver(in KernelEvent delivery)
    {
        PendingSend<T>? send = Match((int)delivery.A0, (ulong)delivery.Code, delivery.Pid, shmem: delivery.Text is not null);
        if (send is null) return null;
        int receiver = send.Delivered.Count;
        send.Delivered.Add(delivery.Pid);
        if (send.Delivered.Count >= send.Receivers) _sends.Remove(send); // every receiver reached: nothing left to match
        return (send, receiver);
    }

    // The oldest send of (sender, type) that can have reached this receiver and has not yet been matched to it.
    private PendingSend<T>? Match(int senderPid, ulong type, int receiver, bool shmem)
    {
        foreach (PendingSend<T> s in _sends)
        {
            if (s.Shmem != shmem || s.Pid != senderPid || s.Type != type || s.Delivered.Contains(receiver) || s.Delivered.Count >= s.Receivers) continue;
            ulong target = s.Flags & SendFlagBits.TargetMask;
            bool reaches = target switch
            {
                0 => s.TargetPid == receiver,
                (ulong)SendFlags.ToSelf => receiver == senderPid,
                (ulong)SendFlags.ToAllButSelf => receiver != senderPid,
                _ => true,
            };
            if (reaches) return s;
        }
        return null;
    }

    // The other process of the segment's connection, when the trace showed it being made.
    private int? SegmentPeer(ulong segment, int pid) =>
        _shmSegments.TryGetValue(segment, out ulong connection) && _shmPairs.TryGetValue(connection, out (int A, int B) pair) ? (pair.A == pid ? pair.B : pair.A) : null;
}
