using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Limits of a receiver a send must respect. Under an MPU every delivered message takes a region of the receiver: a
/// process whose regions are all in use cannot receive a copy of its own block (NoMpuRegion, nothing taken), but can
/// move a block to itself, since the move frees that block's region before the delivery needs one. A sender blocked on
/// a full queue is woken with ProcessExited when the receiver dies without draining it.
/// </summary>
public class PageSendReceiverLimitsTests
{
    private const ulong T = 9;

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_process_with_every_region_in_use_can_move_a_block_to_itself_but_not_copy_one(ProtectionModel model)
    {
        long copied = 0, moved = 0;
        ulong block = 0, receivedAt = 0, value = 0;
        int areasBefore = 0, areasAfter = 0, userFramesBefore = 0;
        var k = TestKernels.Boot(model);
        k.Spawn("self", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                receivedAt = m.Address;
                value = s.Memory.ReadUInt64(m.Address);
                return true;
            });
            AddressSpace space = k.ProcessOf(sys).AddressSpace;
            while (space.CanTakeRegions(1)) block = sys.Map(4096);
            sys.Memory.WriteUInt64(block, 0x5E1F);
            areasBefore = space.Areas.Count;
            userFramesBefore = k.Frames.UserCount;

            copied = sys.Syscall(SyscallNumber.Send, 0, T, block, 1, (ulong)(SendFlags.Duplicate | SendFlags.ToSelf));
            k.Frames.UserCount.ShouldBe(userFramesBefore, "a refused copy takes no frame");
            moved = sys.Syscall(SyscallNumber.Send, 0, T, block, 1, (ulong)SendFlags.ToSelf);
            while (receivedAt == 0) sys.Yield();
            areasAfter = space.Areas.Count;
            return 0;
        });

        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        copied.ShouldBe((long)ErrorCode.NoMpuRegion);
        moved.ShouldBe(1);
        receivedAt.ShouldBe(block, "under an MPU a moved block keeps its address: it is its frames");
        value.ShouldBe(0x5E1FUL);
        areasAfter.ShouldBe(areasBefore);
        k.ShouldBalance();
    }

    [Fact]
    public void A_sender_blocked_on_a_full_queue_hears_ProcessExited_when_the_receiver_dies_inside_a_handler()
    {
        long blocked = 0;
        int capacity = 0, handled = 0;
        var k = TestKernels.Boot(policy: PolicyKind.Priority);
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, _) =>
            {
                handled++;
                s.Sleep(5); // inside a handler no other handler runs: the sender fills the queue meanwhile
                s.Exit(3);
                return true;
            });
            while (true) sys.Pause();
        }, priority: 1);
        k.Spawn("sender", sys =>
        {
            capacity = k.Config.MessageQueueCapacity;
            sys.Sleep(2); // the receiver registers its handler
            sys.Send(receiver.Pid, T, sys.Map(4096), 1);
            sys.Sleep(2); // the receiver takes the message and sleeps in its handler
            for (int i = 0; i < capacity; i++) sys.Send(receiver.Pid, T, sys.Map(4096), 1);
            blocked = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, sys.Map(4096), 1, (ulong)SendFlags.Block);
            return 0;
        }, priority: 5);

        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.DeadlockReport);
        handled.ShouldBe(1);
        receiver.ExitStatus.ShouldBe(3);
        blocked.ShouldBe((long)ErrorCode.ProcessExited);
        k.ShouldBalance();
    }
}
