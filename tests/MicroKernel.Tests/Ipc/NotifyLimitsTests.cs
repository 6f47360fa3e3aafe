using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Each limit of the notification syscalls at exactly its bound (accepted) and one past it (refused): the kernel's
/// object count, an object's pending count, wait_any's set size, a wait's timeout and the last handle number.
/// Results are recorded by the programs and checked by the test, since an assertion failing inside a simulated
/// program only faults that program.
/// </summary>
public class NotifyLimitsTests
{
    private const long LimitReached = (long)ErrorCode.LimitReached, Invalid = (long)ErrorCode.InvalidArgument;

    private static void CompletesCleanly(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0);
    }

    [Fact]
    public void The_kernel_holds_exactly_MaxObjects_open_objects_and_refuses_one_more_until_one_closes()
    {
        // A process holds at most 64 handles and each open object is held by its owner, so 64 owners of 64 fill the
        // kernel; a 65th process asks for one more, then for one after an owner closed one.
        const int owners = NotifyLimits.MaxObjects / HandleTable.Capacity;
        var k = TestKernels.Boot(frames: 4096);
        long lastOfEach = 0, oneMore = 0, afterClose = 0;
        int filled = 0, phase = 0; // the programs take turns through these (the test host's variables)
        for (int i = 0; i < owners; i++)
        {
            bool first = i == 0;
            k.Spawn($"owner{i}", sys =>
            {
                long h = 0;
                for (int j = 0; j < HandleTable.Capacity; j++)
                {
                    h = sys.RawNotifyCreate(null);
                    if (h < 0) return h;
                }
                lastOfEach = Math.Max(lastOfEach, h);
                filled++;
                while (phase < 1) sys.Sleep(10); // the probe asks while every object is open
                if (first)
                {
                    sys.NotifyClose(1);
                    phase = 2;
                }
                while (phase < 3) sys.Sleep(10);
                return 0;
            });
        }
        k.Spawn("probe", sys =>
        {
            while (filled < owners) sys.Sleep(10);
            oneMore = sys.RawNotifyCreate(null);
            phase = 1;
            while (phase < 2) sys.Sleep(10);
            afterClose = sys.RawNotifyCreate(null);
            phase = 3;
            return 0;
        });
        CompletesCleanly(k);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0);
        lastOfEach.ShouldBe(HandleTable.Capacity);
        oneMore.ShouldBe(LimitReached);
        afterClose.ShouldBe(1);
        k.NotifyStats.Created.ShouldBe(NotifyLimits.MaxObjects + 1);
    }

    [Fact]
    public void An_object_counts_up_to_exactly_MaxPending_and_one_unit_more_is_refused()
    {
        var k = TestKernels.Boot();
        long accepted = 0, atBound = -1, onePast = 0, polled = -1;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            long steps = NotifyLimits.MaxPending / (long)NotifyLimits.MaxNotifyCount - 1;
            for (long i = 0; i < steps; i++)
                if (sys.Syscall(SyscallNumber.Notify, (ulong)h, NotifyLimits.MaxNotifyCount) == 0) accepted++;
            atBound = sys.Syscall(SyscallNumber.Notify, (ulong)h, NotifyLimits.MaxNotifyCount); // reaches MaxPending exactly
            onePast = sys.Syscall(SyscallNumber.Notify, (ulong)h, 1);
            polled = sys.Syscall(SyscallNumber.Wait, (ulong)h, 0); // the refused unit changed nothing: units are there
            sys.NotifyClose(h);
            return 0;
        });
        CompletesCleanly(k);
        accepted.ShouldBe(NotifyLimits.MaxPending / (long)NotifyLimits.MaxNotifyCount - 1);
        atBound.ShouldBe(0);
        onePast.ShouldBe(LimitReached);
        polled.ShouldBe(0);
        k.NotifyStats.MaxPending.ShouldBe(NotifyLimits.MaxPending);
        k.NotifyStats.Notifies.ShouldBe(accepted + 1);
    }

    [Fact]
    public void The_largest_pending_count_is_recorded_not_the_last_or_the_smallest()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            int a = sys.NotifyCreate(null), b = sys.NotifyCreate(null);
            sys.Notify(a, 5);
            sys.Notify(a, 2);                      // a holds 7
            for (int i = 0; i < 7; i++) sys.Wait(a, 0);
            sys.Notify(b, 3);                      // later and smaller: 7 stays the largest
            sys.NotifyClose(a);
            sys.NotifyClose(b);
            return 0;
        });
        CompletesCleanly(k);
        k.NotifyStats.MaxPending.ShouldBe(7);
    }

    [Fact]
    public void Wait_any_takes_exactly_MaxWaitAny_objects_and_refuses_one_more()
    {
        var k = TestKernels.Boot();
        long atBound = -1, onePast = 0, lastAlone = -1;
        k.Spawn("p", sys =>
        {
            int[] handles = new int[NotifyLimits.MaxWaitAny + 1];
            for (int i = 0; i < handles.Length; i++) handles[i] = sys.NotifyCreate(null);
            sys.Notify(handles[NotifyLimits.MaxWaitAny - 1]);     // the last object of a full set
            sys.Notify(handles[NotifyLimits.MaxWaitAny]);         // the one past it
            atBound = sys.RawWaitAny(handles.AsSpan(0, NotifyLimits.MaxWaitAny), 0);
            onePast = sys.RawWaitAny(handles, 0);
            lastAlone = sys.RawWaitAny(handles.AsSpan(NotifyLimits.MaxWaitAny), 0); // its unit was not taken by the refused call
            foreach (int h in handles) sys.NotifyClose(h);
            return 0;
        });
        CompletesCleanly(k);
        atBound.ShouldBe(NotifyLimits.MaxWaitAny - 1);
        onePast.ShouldBe(Invalid);
        lastAlone.ShouldBe(0);
    }

    [Fact]
    public void A_timeout_of_exactly_MaxSleepTicks_is_accepted_and_one_tick_more_is_refused_by_wait_and_wait_any()
    {
        var k = TestKernels.Boot();
        var r = new List<long>();
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            sys.Notify(h, 4); // units there: an accepted wait returns at once
            ulong max = CoreSyscalls.MaxSleepTicks;
            r.Add(sys.Syscall(SyscallNumber.Wait, (ulong)h, max));
            r.Add(sys.Syscall(SyscallNumber.Wait, (ulong)h, max + 1));
            r.Add(sys.Syscall(SyscallNumber.Wait, (ulong)h, NotifyLimits.Forever));
            ulong set = sys.Map(4096);
            sys.Memory.WriteUInt64(set, (ulong)h);
            r.Add(sys.Syscall(SyscallNumber.WaitAny, set, 1, max));
            r.Add(sys.Syscall(SyscallNumber.WaitAny, set, 1, max + 1));
            r.Add(sys.Syscall(SyscallNumber.WaitAny, set, 1, NotifyLimits.Forever));
            r.Add(sys.Syscall(SyscallNumber.Wait, (ulong)h, 0)); // two refused calls took nothing: all four are gone
            sys.NotifyClose(h);
            return 0;
        });
        CompletesCleanly(k);
        r.ShouldBe([0, Invalid, 0, 0, Invalid, 0, (long)ErrorCode.WouldBlock]);
    }

    [Fact]
    public void The_last_handle_number_works_and_the_next_number_is_a_bad_handle()
    {
        var k = TestKernels.Boot();
        var r = new List<long>();
        k.Spawn("p", sys =>
        {
            for (int i = 0; i < HandleTable.Capacity; i++) sys.NotifyCreate(null);
            ulong last = HandleTable.Capacity;
            r.Add(sys.Syscall(SyscallNumber.Notify, last, 2));
            r.Add(sys.Syscall(SyscallNumber.Wait, last, 0));
            r.Add(sys.Syscall(SyscallNumber.Notify, last + 1, 1));
            r.Add(sys.Syscall(SyscallNumber.NotifyClose, last));
            r.Add(sys.Syscall(SyscallNumber.NotifyClose, last));   // closed: now a bad handle too
            r.Add(sys.RawNotifyCreate(null));                     // the freed number is handed out again
            return 0; // exit closes the rest
        });
        CompletesCleanly(k);
        long bad = (long)ErrorCode.BadHandle;
        r.ShouldBe([0, 0, bad, 0, bad, HandleTable.Capacity]);
    }
}
