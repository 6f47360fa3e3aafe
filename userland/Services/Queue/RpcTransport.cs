using MicroKernel.Ipc.Notify;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// The queue's transport over rpc_call (docs/rpc.md): the server exports an <see cref="IQueueService"/>; a call runs
/// the operation on the client's own thread with the server's memory granted, and the item travels in the client's
/// SHARED buffer. No slot, no request/reply notifies, no switch. Since several clients' threads may now be inside
/// the queue at once (preemptible at any memory access), a lock guards it: a notification object in lock mode, which
/// the kernel releases for a client killed in the middle of a call.
/// </summary>
public sealed class RpcTransport : IQueueTransport
{
    private readonly Sys _sys;
    private readonly RpcHandle<IQueueService> _service;
    private readonly ulong _buffer;

    private RpcTransport(Sys sys, RpcHandle<IQueueService> service, ulong buffer, int alive)
    {
        _sys = sys;
        _service = service;
        _buffer = buffer;
        AliveHandle = alive;
    }

    /// <summary>The RPC name the server exports the queue under.</summary>
    public static string ServiceName(string queue) => "q:" + queue;

    /// <inheritdoc />
    public int AliveHandle { get; }

    /// <summary>Connects to <paramref name="queue"/>, exported by its server (whose alive object already exists).</summary>
    public static RpcTransport Connect(Sys sys, string queue, long handle, int alive) =>
        new(sys, new RpcHandle<IQueueService>((ulong)handle), Rpc.Shared(4096), alive);

    /// <inheritdoc />
    public long Call(QueueOp op, ReadOnlySpan<byte> item, Span<byte> reply)
    {
        if (item.Length > QueueProtocol.MaxItemSize || reply.Length > QueueProtocol.MaxItemSize) return (long)ErrorCode.InvalidArgument;
        if (item.Length > 0) _sys.Memory.Write(_buffer, item);
        // Plain captured locals: Rpc reads them directly (a conversion inside the lambda would be compiled per call).
        long code = (long)op, length = Math.Max(item.Length, reply.Length);
        ulong buffer = _buffer;
        long r = Rpc.TryCall(_service, s => s.Call(code, buffer, length));
        // The server exited (NoSuchObject) or died during the call (PeerFaulted).
        if (r is (long)ErrorCode.NoSuchObject or (long)ErrorCode.PeerFaulted or (long)ErrorCode.ServiceRestarting) return (long)ErrorCode.ProcessExited;
        if (r > 0 && reply.Length > 0) _sys.Memory.Read(_buffer, reply[..(int)Math.Min(r, reply.Length)]);
        return r;
    }

    /// <inheritdoc />
    public void Close()
    {
        Call(QueueOp.Disconnect, [], []);
        _sys.NotifyClose(AliveHandle);
        _sys.Unmap(_buffer, 4096);
    }

    /// <summary>
    /// The server's side: exports the service and serves until a shutdown. Calls run on the clients' threads; this
    /// thread only waits for the stop notify. Its fields are set once, before the export, and never written after:
    /// everything a call changes is in the server's memory (<see cref="QueueCore"/>) or in kernel objects.
    /// </summary>
    public sealed class Server : IQueueService
    {
        private readonly QueueCore _core;
        private readonly int _lock, _stop;

        /// <summary>Creates the lock and stop objects and exports the queue as <see cref="ServiceName"/>.</summary>
        public Server(Sys sys, QueueCore core)
        {
            _core = core;
            // A robust lock: if a client is killed in the middle of a call, the kernel gives the lock to the next.
            _lock = sys.NotifyCreate(null, NotifyFlags.Lock);
            _stop = sys.NotifyCreate(null);
            Rpc.Export<IQueueService>(this, ServiceName(core.Name));
        }

        /// <summary>Calls that found the lock released by a client killed in the middle of its call (kept in the queue's memory).</summary>
        public long Recoveries(Sys sys) => _core.Recoveries(sys);

        /// <summary>Waits until a client asks for shutdown.</summary>
        public void Run(Sys sys) => sys.Wait(_stop);

        /// <inheritdoc />
        public long Call(long op, ulong buffer, long length)
        {
            // Runs on the caller's thread, acting for the server: handles and memory are the server's, errors are
            // returned, never thrown (an exception would be a fault of the server).
            Sys sys = Rpc.Sys;
            if (length is < 0 or > QueueProtocol.MaxItemSize) return (long)ErrorCode.InvalidArgument;
            long locked = sys.Syscall(SyscallNumber.Wait, (ulong)_lock, NotifyLimits.Forever);
            if (locked < 0) return locked;
            // The previous holder died mid-call: its own item may be lost, no one else's. Counted in server memory, not in
            // a field of this object: this method runs on the client's host thread.
            if (locked == 1) _core.RecordRecovery(sys);
            try
            {
                byte[] input = (QueueOp)op == QueueOp.Send ? sys.Memory.ReadBytes(buffer, (int)length) : [];
                var output = new byte[(QueueOp)op == QueueOp.Receive ? length : 0];
                long r = _core.Execute(sys, (QueueOp)op, input, output);
                if (r > 0 && output.Length > 0) sys.Memory.Write(buffer, output.AsSpan(0, (int)r));
                if ((QueueOp)op == QueueOp.Shutdown) sys.Syscall(SyscallNumber.Notify, (ulong)_stop, 1);
                return r;
            }
            finally
            {
                sys.Syscall(SyscallNumber.Notify, (ulong)_lock, 1);
            }
        }
    }
}
