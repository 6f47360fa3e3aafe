using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// The queue's transport, and the only part of it that knows how a call reaches the server: each client shares one
/// page (its call slot) with the server by page-send (share, receiver may write), writes a request into it, notifies
/// the server's request object and waits on its own reply object, or on the server's "alive" object, which closes
/// when the server dies. Once rpc_call is in the kernel, a call becomes one rpc_call and this class shrinks.
/// </summary>
public sealed class SlotTransport : IQueueTransport
{
    private readonly Sys _sys;
    private readonly string _queue;
    private readonly ulong _slot;
    private readonly int _request, _reply, _alive;

    private SlotTransport(Sys sys, string queue, ulong slot, int request, int reply, int alive)
    {
        _sys = sys;
        _queue = queue;
        _slot = slot;
        _request = request;
        _reply = reply;
        _alive = alive;
    }

    /// <inheritdoc />
    public int AliveHandle => _alive;

    /// <summary>
    /// Connects to the queue served by process <paramref name="serverPid"/> under <paramref name="queue"/>; the server
    /// is up (<paramref name="alive"/>, its last object, exists).
    /// </summary>
    public static SlotTransport Connect(Sys sys, int serverPid, string queue, int alive)
    {
        int request = sys.NotifyCreate(QueueProtocol.RequestName(queue), NotifyFlags.Open);
        int reply = sys.NotifyCreate(QueueProtocol.ReplyName(queue, sys.Pid));
        ulong slot = sys.Map(4096);
        // Shared: both sides keep the frame mapped read/write; the server's handler records it before any call.
        sys.Send(serverPid, QueueProtocol.ConnectType, slot, 1, SendFlags.SenderKeeps | SendFlags.ReceiverWrite | SendFlags.Block);
        return new SlotTransport(sys, queue, slot, request, reply, alive);
    }

    /// <inheritdoc />
    public long Call(QueueOp op, ReadOnlySpan<byte> item, Span<byte> reply)
    {
        UserMemory m = _sys.Memory;
        m.WriteUInt64(_slot + QueueProtocol.OpOffset, (ulong)op);
        m.WriteUInt64(_slot + QueueProtocol.LengthOffset, (ulong)item.Length);
        if (item.Length > 0) m.Write(_slot + QueueProtocol.ItemOffset, item);
        m.WriteUInt64(_slot + QueueProtocol.StateOffset, QueueProtocol.Request);
        if (_sys.Syscall(SyscallNumber.Notify, (ulong)_request, 1) < 0) return (long)ErrorCode.ProcessExited;
        // The reply object fires once per reply; "alive" only ever fires by closing.
        if (_sys.RawWaitAny([_reply, _alive]) != 0) return (long)ErrorCode.ProcessExited;
        long result = (long)m.ReadUInt64(_slot + QueueProtocol.ResultOffset);
        if (result >= 0 && reply.Length > 0) m.Read(_slot + QueueProtocol.ItemOffset, reply);
        m.WriteUInt64(_slot + QueueProtocol.StateOffset, QueueProtocol.Idle);
        return result;
    }

    /// <inheritdoc />
    public void Close()
    {
        Call(QueueOp.Disconnect, [], []);
        _sys.NotifyClose(_reply);
        _sys.NotifyClose(_request);
        _sys.NotifyClose(_alive);
        _sys.Unmap(_slot, 4096);
    }

    /// <inheritdoc />
    public override string ToString() => $"slot transport to '{_queue}' (slot 0x{_slot:x})";

    /// <summary>The server's side: connected slots by client pid, served one request per request notify.</summary>
    public sealed class Server
    {
        private readonly Sys _sys;
        private readonly string _queue;
        private readonly SortedDictionary<int, (ulong Slot, int Reply)> _clients = [];
        private readonly List<(int Pid, (ulong Slot, int Reply) Client)> _joining = [];
        private int _lastServed;

        /// <summary>Creates the request object and starts accepting call slots from clients.</summary>
        public Server(Sys sys, string queue)
        {
            _sys = sys;
            _queue = queue;
            // Handler first: clients send their slot as soon as the request object exists.
            sys.RegisterHandler(QueueProtocol.ConnectType, Accept);
            Request = sys.NotifyCreate(QueueProtocol.RequestName(queue));
        }

        /// <summary>The request object's handle.</summary>
        public int Request { get; }

        /// <summary>Connected clients.</summary>
        public int Clients => _clients.Count + _joining.Count;

        /// <summary>
        /// Waits for one request and runs <paramref name="serve"/>(client pid, op, item in, item out) on it; the
        /// result goes back to the client. Requests are served round-robin over the clients' pids.
        /// </summary>
        public QueueOp ServeOne(Func<int, QueueOp, ReadOnlySpan<byte>, Span<byte>, long> serve)
        {
            _sys.Wait(Request);
            // One notify per request: some connected slot holds it. The slot's connect message was sent before the
            // notify, but its handler may not have run yet (a wake can beat a pending handler): then any syscall
            // runs it, and the second look finds the slot.
            int pid = FindRequest();
            if (pid == 0)
            {
                _sys.Syscall(SyscallNumber.Time);
                pid = FindRequest();
            }
            if (pid == 0) return 0; // its client died after notifying
            _lastServed = pid;
            (ulong slot, int reply) = _clients[pid];
            UserMemory m = _sys.Memory;
            var op = (QueueOp)m.ReadUInt64(slot + QueueProtocol.OpOffset);
            ulong length = m.ReadUInt64(slot + QueueProtocol.LengthOffset);
            if (length > QueueProtocol.MaxItemSize) length = QueueProtocol.MaxItemSize + 1; // refused by serve
            byte[] input = length <= QueueProtocol.MaxItemSize ? m.ReadBytes(slot + QueueProtocol.ItemOffset, (int)length) : [];
            var output = new byte[QueueProtocol.MaxItemSize];
            long result = length > QueueProtocol.MaxItemSize ? (long)ErrorCode.InvalidArgument : serve(pid, op, input, output);
            if (result > 0) m.Write(slot + QueueProtocol.ItemOffset, output.AsSpan(0, (int)result));
            m.WriteUInt64(slot + QueueProtocol.ResultOffset, (ulong)result);
            m.WriteUInt64(slot + QueueProtocol.StateOffset, QueueProtocol.Reply);
            long notified = _sys.Syscall(SyscallNumber.Notify, (ulong)reply, 1);
            if (op == QueueOp.Disconnect || notified < 0) Forget(pid); // left, or died (its reply object closed)
            return op;
        }

        // Round-robin from the client after the last one served. Handlers (connects) run at any memory access of
        // this thread, so they only queue the slot; it joins here, never during a scan.
        private int FindRequest()
        {
            foreach ((int pid, (ulong, int) client) in _joining) _clients[pid] = client;
            _joining.Clear();
            List<int> pids = [.. _clients.Keys];
            int found = pids.FirstOrDefault(p => p > _lastServed && HasRequest(p));
            return found != 0 ? found : pids.FirstOrDefault(HasRequest);
        }

        private bool HasRequest(int pid) => _sys.Memory.ReadUInt64(_clients[pid].Slot + QueueProtocol.StateOffset) == QueueProtocol.Request;

        private void Forget(int pid)
        {
            (ulong slot, int reply) = _clients[pid];
            _clients.Remove(pid);
            _sys.NotifyClose(reply);
            _sys.Unmap(slot, 4096);
        }

        // The page-send handler: a client's call slot arrives, shared. Its reply object exists already.
        private bool Accept(Sys s, PageMessage m)
        {
            // Only a shared, writable page will do: the server writes replies into it.
            const SendFlags shared = SendFlags.SenderKeeps | SendFlags.ReceiverWrite;
            if (m.Pages != 1 || (m.Flags & (shared | SendFlags.Duplicate)) != shared) return false;
            if (_clients.ContainsKey(m.SenderPid) || _joining.Exists(j => j.Pid == m.SenderPid)) return false;
            long reply = s.RawNotifyCreate(QueueProtocol.ReplyName(_queue, m.SenderPid), NotifyFlags.Open);
            if (reply < 0) return false;
            _joining.Add((m.SenderPid, (m.Address, (int)reply)));
            return true;
        }
    }
}
