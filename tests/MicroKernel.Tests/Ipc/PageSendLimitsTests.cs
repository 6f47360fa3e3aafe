using MicroKernel.Ipc.PageSend;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// send and register_handler at the edges of their arguments: the largest message and type are allowed and one more
/// is not, a pid is never truncated to another process's, and a sender never blocks on its own full queue.
/// </summary>
public class PageSendLimitsTests
{
    private const ulong T = 5;

    private static void Completes(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }

    [Fact]
    public void A_message_of_MaxPages_passes_the_argument_checks_and_one_page_more_does_not()
    {
        var results = new List<long>();
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            sys.Sleep(20);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            ulong page = sys.Map(4096);
            // The largest count is an argument the kernel takes: it then finds the range not mapped.
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, page, PageSendIpc.MaxPages, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, page, PageSendIpc.MaxPages + 1, 0));
            sys.Unmap(page, 4096);
            return 0;
        });
        Completes(k);
        results.ShouldBe([(long)ErrorCode.NotMapped, (long)ErrorCode.InvalidArgument]);
    }

    [Fact]
    public void The_largest_message_type_can_be_registered_and_sent_and_the_next_cannot()
    {
        const ulong Last = PageSendIpc.MaxType - 1;
        var results = new List<long>();
        var got = new List<ulong>();
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(Last, (_, m) => { got.Add(m.Type); return false; });
            results.Add(sys.Syscall(SyscallNumber.RegisterHandler, PageSendIpc.MaxType, 0)); // removing one is checked too
            while (got.Count == 0) sys.Pause();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            ulong page = sys.Map(4096);
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, PageSendIpc.MaxType, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, Last, page, 1, 0));
            return 0;
        });
        Completes(k);
        results.ShouldBe([(long)ErrorCode.InvalidArgument, (long)ErrorCode.InvalidArgument, 1]);
        got.ShouldBe([Last]);
    }

    [Fact]
    public void A_pid_beyond_the_range_of_pids_is_no_process_even_when_its_low_bits_name_one()
    {
        var results = new List<long>();
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            sys.Sleep(20);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            ulong page = sys.Map(4096);
            results.Add(sys.Syscall(SyscallNumber.Send, (1UL << 32) + (ulong)receiver.Pid, T, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)int.MaxValue + 1, T, page, 1, 0));
            sys.Memory.ReadUInt64(page).ShouldBe(0UL, "the page is still the sender's");
            sys.Unmap(page, 4096);
            return 0;
        });
        Completes(k);
        results.ShouldBe([(long)ErrorCode.NoSuchProcess, (long)ErrorCode.NoSuchProcess]);
    }

    [Fact]
    public void A_sender_whose_own_queue_is_full_gets_QueueFull_even_with_the_block_flag()
    {
        int capacity = 0;
        long blocked = 0, handled = 0;
        var k = TestKernels.Boot(policy: PolicyKind.Priority);
        k.Spawn("self", sys =>
        {
            capacity = k.Config.MessageQueueCapacity;
            ulong page = sys.Map(4096);
            const ulong Share = (ulong)(SendFlags.SenderKeeps | SendFlags.ToSelf);
            sys.RegisterHandler(T, (s, _) =>
            {
                if (handled++ > 0) return false;
                // Inside a handler no other handler runs (they do not nest): shares to itself queue up.
                for (int i = 0; i < capacity; i++) s.Syscall(SyscallNumber.Send, 0, T, page, 1, Share).ShouldBe(1);
                // Blocking could never end: only its own handlers drain the queue.
                blocked = s.Syscall(SyscallNumber.Send, 0, T, page, 1, Share | (ulong)SendFlags.Block);
                return false;
            });
            sys.Syscall(SyscallNumber.Send, 0, T, page, 1, Share).ShouldBe(1);
            while (handled < capacity + 1) sys.Yield();
            sys.Unmap(page, 4096);
            return 0;
        });
        Completes(k);
        blocked.ShouldBe((long)ErrorCode.QueueFull);
        handled.ShouldBe(capacity + 1, "the first message, then the queue");
    }
}
