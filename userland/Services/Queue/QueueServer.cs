using System.Globalization;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// A queue server like the one the CMRX RTOS ships as a userspace service: a bounded FIFO of fixed-size items kept
/// in this process's own memory (clients cannot touch it), operated on by calls through <see cref="SlotTransport"/>.
/// The server never blocks for a client: a send to a full queue or a receive from an empty one fails at once, and
/// the client then waits on the not-full / not-empty notification object, which the server notifies once per
/// waiting client when room or an item appears. Arguments: queue name, capacity (items), item size (bytes), transport
/// ("slot", the default: <see cref="SlotTransport"/>; or "rpc": <see cref="RpcTransport"/>). The queue itself is
/// <see cref="QueueCore"/>.
/// </summary>
public sealed class QueueServer : UserProgram
{
    /// <summary>Most items a queue may hold.</summary>
    public const int MaxCapacity = 4096;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        string name = sys.Args.Count > 0 ? sys.Args[0] : "queue";
        int capacity = sys.Args.Count > 1 ? int.Parse(sys.Args[1], CultureInfo.InvariantCulture) : 8;
        int itemSize = sys.Args.Count > 2 ? int.Parse(sys.Args[2], CultureInfo.InvariantCulture) : 16;
        string transport = sys.Args.Count > 3 ? sys.Args[3] : "slot";
        if (capacity is < 1 or > MaxCapacity || itemSize is < 1 or > QueueProtocol.MaxItemSize || transport is not ("slot" or "rpc")) return 2;

        var core = new QueueCore(sys, name, capacity, itemSize);
        if (transport == "rpc")
        {
            var server = new RpcTransport.Server(sys, core);
            sys.NotifyCreate(QueueProtocol.AliveName(name)); // last: clients connect once it exists
            server.Run(sys);
            long recoveries = server.Recoveries(sys);
            if (recoveries > 0) sys.PrintLine($"queue server '{name}': lock recovered {recoveries} times from clients killed mid-call");
        }
        else
        {
            var server = new SlotTransport.Server(sys, name);
            sys.NotifyCreate(QueueProtocol.AliveName(name));
            while (!core.Stopped(sys)) server.ServeOne((pid, op, input, output) => core.Execute(sys, op, input, output));
        }
        sys.PrintLine($"queue server '{name}' ({transport}): {core.Summary(sys)}");
        return 0; // exit closes every object: clients still waiting get ObjectClosed, then ProcessExited
    }
}
