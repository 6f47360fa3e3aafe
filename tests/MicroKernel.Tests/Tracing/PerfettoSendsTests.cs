using MicroKernel.Ipc.PageSend;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The send matching both Perfetto exports share (<see cref="PerfettoSends{T}"/>): which send caused each handler
/// run. That the two exports draw the same flows on every built-in scenario is PerfettoProtoExportTests'.
/// </summary>
public class PerfettoSendsTests
{
    [Fact]
    public void A_broadcast_is_matched_once_to_each_receiver_then_leaves()
    {
        var sends = new PerfettoSends<string>();
        sends.Exit(Exit(SyscallNumber.Send, pid: 1, a0: 0, type: 5, flags: (ulong)SendFlags.ToAllButSelf, result: 2), 0, n => $"send to {n}")!.Source.ShouldBe("send to 2");

        sends.Deliver(Delivery(sender: 1, type: 5, receiver: 1)).ShouldBeNull(); // not to itself
        sends.Deliver(Delivery(sender: 1, type: 6, receiver: 2)).ShouldBeNull(); // another type
        sends.Deliver(Delivery(sender: 1, type: 5, receiver: 2))!.Value.Receiver.ShouldBe(0);
        sends.Deliver(Delivery(sender: 1, type: 5, receiver: 2)).ShouldBeNull(); // each receiver once
        sends.Deliver(Delivery(sender: 1, type: 5, receiver: 3))!.Value.Receiver.ShouldBe(1);
        sends.InFlight.ShouldBe(0);
    }

    [Fact]
    public void A_shm_send_reaches_the_peer_of_its_segment_and_a_failed_one_is_dropped()
    {
        var sends = new PerfettoSends<int>();
        sends.Exit(Exit(SyscallNumber.ShmConnect, pid: 1, a0: 2, result: 7), 0, _ => 0).ShouldBeNull();
        sends.Exit(Exit(SyscallNumber.ShmCreate, pid: 1, a0: 7, result: 9), 1, _ => 0).ShouldBeNull();
        sends.Enter(Enter(SyscallNumber.ShmSend, seq: 10, pid: 1, a0: 8), () => 1).ShouldBeNull(); // a segment never seen

        sends.Enter(Enter(SyscallNumber.ShmSend, seq: 11, pid: 1, a0: 9, a1: 4), () => 42)!.TargetPid.ShouldBe(2);
        sends.Deliver(Delivery(sender: 1, type: 4, receiver: 2)).ShouldBeNull(); // a page-send delivery has no text
        sends.Deliver(Delivery(sender: 1, type: 4, receiver: 2, segment: "seg"))!.Value.Send.Source.ShouldBe(42);

        sends.Enter(Enter(SyscallNumber.ShmCall, seq: 20, pid: 2, a0: 9, a1: 4), () => 43)!.TargetPid.ShouldBe(1);
        sends.InFlight.ShouldBe(1);
        sends.Exit(Exit(SyscallNumber.ShmCall, pid: 2, a0: 9, result: -3), 20, _ => 0);
        sends.InFlight.ShouldBe(0);
    }

    private static KernelEvent Enter(SyscallNumber call, long seq, int pid, ulong a0, ulong a1 = 0) =>
        new() { Kind = EventKind.SyscallEnter, Seq = seq, Pid = pid, Tid = pid, Code = (long)call, A0 = a0, A1 = a1 };

    private static KernelEvent Exit(SyscallNumber call, int pid, ulong a0, long result, ulong type = 0, ulong flags = 0) =>
        new() { Kind = EventKind.SyscallExit, Pid = pid, Tid = pid, Code = (long)call, A0 = a0, A1 = type, A4 = flags, Result = result };

    private static KernelEvent Delivery(int sender, long type, int receiver, string? segment = null) =>
        new() { Kind = EventKind.Delivery, Pid = receiver, Tid = receiver, Code = type, A0 = (ulong)sender, Result = 1, Text = segment };
}
