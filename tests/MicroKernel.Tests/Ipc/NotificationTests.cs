using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>notify_create / notify / wait / wait_any / notify_close: counting, timeouts, multi-wait, errors, cleanup.</summary>
public class NotificationTests
{
    private const ulong Forever = NotifyLimits.Forever;

    private static void Completes(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
        k.LiveNotifications.ShouldBe(0);
    }

    private static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => sys.Syscall(n, a0, a1, a2);

    [Fact]
    public void Notifies_before_any_wait_are_counted_and_each_satisfies_exactly_one_wait()
    {
        var k = TestKernels.Boot();
        var results = new List<long>();
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            results.Add(sys.Notify(h));                 // nobody waits: kept, 0 woken
            results.Add(sys.Notify(h));
            results.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, 0));
            results.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, 0));
            results.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, 0)); // a third poll finds nothing
            results.Add(sys.Notify(h, 3));
            for (int i = 0; i < 3; i++) results.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, 5));
            results.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, 0));
            sys.NotifyClose(h);
            return 0;
        });
        Completes(k);
        results.ShouldBe([0, 0, 0, 0, (long)ErrorCode.WouldBlock, 0, 0, 0, 0, (long)ErrorCode.WouldBlock]);
    }

    [Fact]
    public void A_count_wakes_that_many_waiters_in_arrival_order_and_the_rest_stays_pending()
    {
        var k = TestKernels.Boot();
        var order = new List<int>();
        long woken = -1, leftOver = -1;
        k.Spawn("p", sys =>
        {
            var n = Notification.Create(sys, "go");
            int[] tids = new int[3];
            for (int i = 0; i < 3; i++)
            {
                int me = i;
                tids[i] = sys.CreateThread((s, _) =>
                {
                    n.On(s).Wait();
                    order.Add(me);
                    return 0;
                });
                sys.Sleep(3); // thread i blocks before thread i+1 starts: arrival order 0, 1, 2
            }
            woken = n.Notify(2);
            sys.Sleep(5);
            order.Count.ShouldBe(2);
            woken += n.Notify(2); // wakes the third, one stays
            foreach (int t in tids) sys.Join(t);
            leftOver = Raw(sys, SyscallNumber.Wait, (ulong)n.Handle, 0);
            n.Close();
            return 0;
        });
        Completes(k);
        order.ShouldBe([0, 1, 2]);
        woken.ShouldBe(3);
        leftOver.ShouldBe(0);
    }

    [Fact]
    public void A_wait_times_out_after_its_ticks_and_a_later_notify_is_kept()
    {
        var k = TestKernels.Boot();
        long r = 0, waited = 0, after = -1, woken = -1;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate("t");
            long t0 = sys.Time;
            r = Raw(sys, SyscallNumber.Wait, (ulong)h, 10);
            waited = sys.Time - t0;
            woken = sys.Notify(h);           // the timed-out wait must not have eaten it
            after = Raw(sys, SyscallNumber.Wait, (ulong)h, 0);
            sys.NotifyClose(h);
            return 0;
        });
        Completes(k);
        r.ShouldBe((long)ErrorCode.TimedOut);
        waited.ShouldBeInRange(10, 12); // the deadline, plus the ticks of the syscalls around it
        (k.NotifyStats.Created, k.NotifyStats.Notifies, k.NotifyStats.Waits, k.NotifyStats.Blocked, k.NotifyStats.TimedOut).ShouldBe((1L, 1L, 1L, 1L, 1L));
        woken.ShouldBe(0);
        after.ShouldBe(0);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public void A_notify_racing_a_timeout_is_consumed_exactly_once(ulong seed)
    {
        var k = TestKernels.Boot(policy: PolicyKind.Random, seed: seed);
        int consumed = 0;
        k.Spawn("race", sys =>
        {
            int h = sys.NotifyCreate(null);
            int t = sys.CreateThread((s, _) =>
            {
                s.Sleep(4);
                s.Notify(h);
                return 0;
            });
            if (sys.Wait(h, 4)) consumed++;
            sys.Join(t);
            while (sys.Wait(h, 0)) consumed++;
            sys.NotifyClose(h);
            return 0;
        });
        Completes(k);
        consumed.ShouldBe(1);
    }

    [Fact]
    public void Under_random_schedules_every_unit_notified_is_consumed_once_or_still_pending()
    {
        for (ulong seed = 1; seed <= 30; seed++)
        {
            var k = TestKernels.Boot(policy: PolicyKind.Random, seed: seed);
            long produced = 0, consumed = 0, leftOver = 0;
            k.Spawn("p", sys =>
            {
                var a = Notification.Create(sys);
                var b = Notification.Create(sys);
                var threads = new List<int>();
                for (int i = 0; i < 3; i++)
                {
                    int me = i;
                    threads.Add(sys.CreateThread((s, _) =>
                    {
                        var rng = new TestRandom(seed * 31 + (ulong)me); // seeded: the run stays a function of the seed
                        for (int j = 0; j < 15; j++)
                        {
                            long n = rng.Next(1, 4);
                            (rng.Next(2) == 0 ? a : b).On(s).Notify(n);
                            produced += n;
                            s.Sleep(rng.Next(0, 4));
                        }
                        return 0;
                    }));
                    threads.Add(sys.CreateThread((s, _) =>
                    {
                        var rng = new TestRandom(seed * 17 + (ulong)me);
                        for (int j = 0; j < 40; j++)
                        {
                            long r = rng.Next(3) switch
                            {
                                0 => s.Syscall(SyscallNumber.Wait, (ulong)a.Handle, (ulong)rng.Next(0, 6)),
                                1 => s.Syscall(SyscallNumber.Wait, (ulong)b.Handle, (ulong)rng.Next(0, 6)),
                                _ => s.RawWaitAny([a.Handle, b.Handle], rng.Next(0, 6)),
                            };
                            if (r >= 0) consumed++;
                        }
                        return 0;
                    }));
                }
                foreach (int t in threads) sys.Join(t);
                while (sys.Wait(a.Handle, 0)) leftOver++;
                while (sys.Wait(b.Handle, 0)) leftOver++;
                a.Close();
                b.Close();
                return 0;
            });
            Completes(k);
            (consumed + leftOver).ShouldBe(produced, $"seed {seed}");
            consumed.ShouldBeGreaterThan(0);
        }
    }

    [Fact]
    public void Wait_any_returns_the_lowest_pending_index_then_blocks_until_one_fires()
    {
        var k = TestKernels.Boot();
        var got = new List<int>();
        k.Spawn("p", sys =>
        {
            var a = Notification.Create(sys);
            var b = Notification.Create(sys);
            var c = Notification.Create(sys);
            b.Notify();
            c.Notify();
            got.Add(Notification.WaitAny(0, a, b, c)); // b and c pending: b first
            got.Add(Notification.WaitAny(0, a, b, c));
            got.Add(Notification.WaitAny(0, a, b, c)); // nothing left: -1
            int t = sys.CreateThread((s, _) =>
            {
                s.Sleep(5);
                c.On(s).Notify();
                return 0;
            });
            got.Add(Notification.WaitAny(-1, a, b, c)); // blocks until c fires
            got.Add(Notification.WaitAny(7, a, b, c));  // times out
            sys.Join(t);
            a.Close();
            b.Close();
            c.Close();
            return 0;
        });
        Completes(k);
        got.ShouldBe([1, 2, -1, 2, -1]);
    }

    [Fact]
    public void A_fired_wait_any_leaves_no_trace_on_its_other_objects()
    {
        var k = TestKernels.Boot();
        long wokenByA = -1;
        k.Spawn("p", sys =>
        {
            var a = Notification.Create(sys);
            var b = Notification.Create(sys);
            int t = sys.CreateThread((s, _) =>
            {
                s.Sleep(3);
                b.On(s).Notify();
                return 0;
            });
            Notification.WaitAny(-1, a, b).ShouldBe(1);
            sys.Join(t);
            wokenByA = a.Notify(); // the finished wait_any must not be woken (or counted) through a
            a.Wait(0).ShouldBeTrue();
            a.Close();
            b.Close();
            return 0;
        });
        Completes(k);
        wokenByA.ShouldBe(0);
    }

    [Fact]
    public void Processes_share_public_objects_by_name_and_waiters_of_several_processes_wake_in_fifo_order()
    {
        var k = TestKernels.Boot();
        var order = new List<int>();
        Process owner = k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "bell");
            sys.Sleep(20); // both clients are waiting by now
            n.Notify(2);
            sys.Sleep(5);
            n.Close();
            return 0;
        });
        for (int i = 0; i < 2; i++)
        {
            int me = i;
            k.Spawn($"client{i}", sys =>
            {
                sys.Sleep(2 + 4 * me); // client0 arrives first
                var n = Notification.OpenWhenCreated(sys, "bell");
                n.Wait();
                order.Add(me);
                n.Close();
                return 0;
            });
        }
        Completes(k);
        order.ShouldBe([0, 1]);
        owner.ExitStatus.ShouldBe(0);
    }

    [Fact]
    public void Create_and_open_validate_names_and_flags()
    {
        var k = TestKernels.Boot();
        var r = new List<long>();
        k.Spawn("p", sys =>
        {
            r.Add(sys.RawNotifyCreate("dup"));                       // handle 1
            r.Add(sys.RawNotifyCreate("dup"));                       // NameTaken
            r.Add(sys.RawNotifyCreate("dup", NotifyFlags.Open));     // handle 2, same object
            r.Add(sys.RawNotifyCreate("missing", NotifyFlags.Open)); // NoSuchName
            r.Add(sys.RawNotifyCreate(null, NotifyFlags.Open));      // InvalidArgument: open needs a name
            r.Add(sys.RawNotifyCreate("has space"));                 // InvalidArgument
            r.Add(sys.RawNotifyCreate(new string('x', NotifyLimits.MaxNameLength + 1)));
            r.Add(sys.RawNotifyCreate("ok", (NotifyFlags)4));        // reserved flag
            r.Add(Raw(sys, SyscallNumber.NotifyCreate, 0x10, 4, 0)); // unmapped name
            r.Add(sys.RawNotifyCreate(new string('y', NotifyLimits.MaxNameLength)));
            // Through handle 2 a notify reaches handle 1's object.
            sys.Notify(2);
            r.Add(Raw(sys, SyscallNumber.Wait, 1, 0));
            sys.NotifyClose(1); // the owner's close destroys it: handle 2 now sees ObjectClosed
            r.Add(Raw(sys, SyscallNumber.Notify, 2, 1));
            r.Add(sys.RawNotifyCreate("dup"));                       // the name is free again: lowest handle, 1
            return 0;
        });
        Completes(k);
        r.ShouldBe([1, (long)ErrorCode.NameTaken, 2, (long)ErrorCode.NoSuchName, (long)ErrorCode.InvalidArgument,
            (long)ErrorCode.InvalidArgument, (long)ErrorCode.InvalidArgument, (long)ErrorCode.InvalidArgument,
            (long)ErrorCode.BadAddress, 3, 0, (long)ErrorCode.ObjectClosed, 1]);
    }

    [Fact]
    public void Bad_handles_counts_timeouts_and_pointers_are_errors_not_crashes()
    {
        var k = TestKernels.Boot();
        var r = new List<long>();
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            r.Add(Raw(sys, SyscallNumber.Notify, 0, 1));
            r.Add(Raw(sys, SyscallNumber.Notify, 65, 1));
            r.Add(Raw(sys, SyscallNumber.Notify, ulong.MaxValue, 1));
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)h, 0));
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)h, NotifyLimits.MaxNotifyCount + 1));
            r.Add(Raw(sys, SyscallNumber.Wait, 9, 0));
            r.Add(Raw(sys, SyscallNumber.Wait, (ulong)h, unchecked((ulong)-2)));
            r.Add(Raw(sys, SyscallNumber.WaitAny, 0x10, 1, 0));      // unmapped array
            r.Add(Raw(sys, SyscallNumber.WaitAny, 0x10, 0, 0));      // empty set
            r.Add(Raw(sys, SyscallNumber.WaitAny, 0x10, (ulong)NotifyLimits.MaxWaitAny + 1, 0));
            r.Add(Raw(sys, SyscallNumber.NotifyClose, 7));
            // wait_any with a bad handle among good ones changes nothing.
            sys.Notify(h);
            r.Add(sys.Syscall(SyscallNumber.WaitAny, 0, 0, 0)); // count 0 again, with a null pointer
            r.Add(sys.WaitAny([h, 33], 0) is var x ? x : 0);
            return 0;
        });
        RunResult result = k.Run();
        result.Outcome.ShouldBe(RunOutcome.Completed);
        long bad = (long)ErrorCode.BadHandle, inval = (long)ErrorCode.InvalidArgument;
        r.Take(12).ShouldBe([bad, bad, bad, inval, inval, bad, inval, (long)ErrorCode.BadAddress, inval, inval, bad, inval]);
        k.Processes.Single().Faults.ShouldHaveSingleItem().Detail.ShouldContain("no such notification handle"); // the wrapper threw
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0); // the dead owner's object is gone
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Random_arguments_to_every_notification_syscall_never_crash_or_leak(ulong seed)
    {
        var k = TestKernels.Boot(policy: PolicyKind.Random, seed: seed);
        long errors = 0, successes = 0;
        for (int p = 0; p < 2; p++)
        {
            int me = p;
            k.Spawn($"fuzz{p}", sys =>
            {
                var rng = new TestRandom(seed * 7 + (ulong)me);
                ulong page = sys.Map(4096);
                ulong[] interesting = [0, 1, 2, 3, 5, 64, 65, 0x10, page, page + 4090, ulong.MaxValue, 1UL << 32, 1UL << 41, (ulong)rng.Next()];
                ulong Arg() => rng.Next(3) == 0 ? (ulong)rng.Next(0, 8) : interesting[rng.Next(interesting.Length)];
                for (int i = 0; i < 400; i++)
                {
                    // Some valid names and handle arrays in user memory, so calls get past the first checks.
                    sys.Memory.WriteString(page, rng.Next(2) == 0 ? "fz" : "f z");
                    for (int j = 1; j < 8; j++) sys.Memory.WriteUInt64(page + 64 + (ulong)j * 8, (ulong)rng.Next(0, 6));
                    var n = (SyscallNumber)(40 + rng.Next(5));
                    ulong a0 = n == SyscallNumber.WaitAny ? page + 64 + (ulong)rng.Next(0, 8) * 8 : n == SyscallNumber.NotifyCreate ? page : Arg();
                    // Timeouts stay short (wait's is a1, wait_any's a2): a random 2^41-tick wait would only reach the tick limit.
                    ulong a1 = n == SyscallNumber.Wait ? (ulong)rng.Next(0, 3) : Arg(), a2 = n == SyscallNumber.WaitAny ? (ulong)rng.Next(0, 3) : Arg();
                    long r = sys.Syscall(n, a0, a1, a2, Arg(), Arg(), Arg());
                    if (r < 0)
                    {
                        Enum.IsDefined((ErrorCode)r).ShouldBeTrue($"{n} returned {r}");
                        errors++;
                    }
                    else successes++;
                }
                return 0; // exits with whatever it holds: handles, objects, locks
            });
        }
        RunResult result = k.Run();
        // A drawn timeout may be 2^32 ticks: a run whose threads all wait that long ends at the tick limit, which is
        // the kernel doing what it was asked. Either way nothing may crash or leak.
        result.Outcome.ShouldBeOneOf([RunOutcome.Completed, RunOutcome.TickLimit], result.Panic?.ToString() ?? result.DeadlockReport);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0);
        errors.ShouldBeGreaterThan(0);
        successes.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Pending_count_is_bounded()
    {
        var k = TestKernels.Boot();
        long last = 0;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            long n = 0;
            while ((last = Raw(sys, SyscallNumber.Notify, (ulong)h, NotifyLimits.MaxNotifyCount)) >= 0) n++;
            n.ShouldBe(NotifyLimits.MaxPending / (long)NotifyLimits.MaxNotifyCount);
            return 0;
        });
        Completes(k);
        last.ShouldBe((long)ErrorCode.LimitReached);
    }

    [Fact]
    public void The_handle_table_holds_64_lowest_first_and_reuses_freed_numbers()
    {
        var k = TestKernels.Boot();
        var handles = new List<long>();
        long full = 0, reused = 0;
        k.Spawn("p", sys =>
        {
            for (int i = 0; i < 64; i++) handles.Add(sys.RawNotifyCreate(null));
            full = sys.RawNotifyCreate(null);
            sys.NotifyClose(10);
            sys.NotifyClose(5);
            reused = sys.RawNotifyCreate(null);
            return 0; // exit closes the other 63
        });
        Completes(k);
        handles.ShouldBe(Enumerable.Range(1, 64).Select(i => (long)i));
        full.ShouldBe((long)ErrorCode.LimitReached);
        reused.ShouldBe(5);
    }

    [Fact]
    public void The_owner_closing_wakes_every_waiter_of_every_process_with_object_closed()
    {
        var k = TestKernels.Boot();
        var seen = new List<long>();
        long ownerThread = 0;
        k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "doomed");
            int t = sys.CreateThread((s, _) =>
            {
                ownerThread = (s.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever));
                return 0;
            });
            sys.Sleep(20);
            n.Close();
            sys.Join(t);
            return 0;
        });
        k.Spawn("other", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "doomed");
            seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever));
            seen.Add(sys.Syscall(SyscallNumber.Notify, (ulong)n.Handle, 1));
            seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, 0));
            seen.Add(sys.Syscall(SyscallNumber.NotifyClose, (ulong)n.Handle));
            seen.Add(sys.Syscall(SyscallNumber.NotifyClose, (ulong)n.Handle));
            return 0;
        });
        Completes(k);
        long closed = (long)ErrorCode.ObjectClosed;
        k.NotifyStats.ClosedWakes.ShouldBe(2);
        ownerThread.ShouldBe(closed);
        seen.ShouldBe([closed, closed, closed, 0, (long)ErrorCode.BadHandle]);
    }

    [Fact]
    public void The_owner_exiting_wakes_waiters_and_frees_the_name()
    {
        var k = TestKernels.Boot();
        long waited = 0, reopened = 0;
        k.Spawn("owner", sys =>
        {
            sys.NotifyCreate("svc");
            sys.Sleep(10);
            return 3; // exit: the object goes with it
        });
        k.Spawn("client", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "svc");
            waited = sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever);
            reopened = sys.RawNotifyCreate("svc", NotifyFlags.Open);
            n.Close();
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        waited.ShouldBe((long)ErrorCode.ObjectClosed);
        reopened.ShouldBe((long)ErrorCode.NoSuchName);
        log.Events.ShouldContain(e => e.Kind == EventKind.Wake && e.Code == (long)ErrorCode.ObjectClosed && e.A3 == 0);
        k.LiveNotifications.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Dropping_the_last_handle_wakes_only_this_processs_waiters()
    {
        var k = TestKernels.Boot();
        long mine = 0, theirs = 0;
        k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "shared");
            int t = sys.CreateThread((s, _) =>
            {
                theirs = s.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever);
                return 0;
            });
            sys.Sleep(30);
            n.Notify();
            sys.Join(t);
            n.Close();
            return 0;
        });
        k.Spawn("user", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "shared");
            int t = sys.CreateThread((s, _) =>
            {
                mine = s.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever);
                return 0;
            });
            sys.Sleep(5);
            n.Close();
            sys.Join(t);
            return 0;
        });
        Completes(k);
        mine.ShouldBe((long)ErrorCode.ObjectClosed);
        theirs.ShouldBe(0); // the owner's notify went to the owner's thread, not to the departed waiter
    }

    [Fact]
    public void A_killed_waiter_is_removed_and_the_notify_meant_for_it_is_kept()
    {
        var k = TestKernels.Boot();
        long woken = -1, later = -1;
        k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "k");
            sys.Sleep(20); // the victim is dead by now
            woken = n.Notify();
            later = sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, 0);
            n.Close();
            return 0;
        });
        Process victim = k.Spawn("victim", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "k");
            sys.CreateThread((s, _) =>
            {
                n.On(s).Wait();
                return 0;
            });
            sys.Sleep(5);
            sys.Memory.WriteUInt64(0x10, 1); // faults: the whole process, waiter included, dies
            return 0;
        });
        Completes(k);
        victim.Faults.ShouldHaveSingleItem();
        woken.ShouldBe(0);
        later.ShouldBe(0);
    }

    [Fact]
    public void A_waiter_killed_after_its_wake_but_before_it_ran_gives_the_unit_back()
    {
        var k = TestKernels.Boot();
        long woken = -1, after = -1;
        Process victim = k.Spawn("victim", sys =>
        {
            var go = Notification.Create(sys, "go"); // raised by the owner once it has notified x
            var x = Notification.OpenWhenCreated(sys, "x");
            sys.CreateThread((s, _) =>
            {
                x.On(s).Wait(); // woken by the notify, but its process exits before it runs again
                return 0;
            });
            while (!go.Wait(0)) sys.Yield(); // this thread is ahead of the woken waiter in the run queue
            sys.Exit(5);
            return 0;
        });
        k.Spawn("owner", sys =>
        {
            var x = Notification.Create(sys, "x");
            var go = Notification.OpenWhenCreated(sys, "go");
            sys.Sleep(10);
            woken = x.Notify();
            go.Notify();
            sys.Sleep(10);
            after = sys.Syscall(SyscallNumber.Wait, (ulong)x.Handle, 0);
            x.Close();
            return 0;
        });
        Completes(k);
        victim.ExitStatus.ShouldBe(5);
        woken.ShouldBe(1);
        after.ShouldBe(0); // the unit came back when the woken waiter died
    }

    [Fact]
    public void A_thread_waiting_forever_is_reported_as_a_deadlock_with_its_object()
    {
        var k = TestKernels.Boot();
        k.Spawn("stuck", sys =>
        {
            var n = Notification.Create(sys, "never");
            n.Wait();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        r.DeadlockReport.ShouldNotBeNull().ShouldContain("waits for notification #1 'never'");
        k.LiveNotifications.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Two_threads_taking_two_locks_in_opposite_orders_deadlock_and_the_report_names_each_holder()
    {
        var k = TestKernels.Boot();
        k.Spawn("abba", sys =>
        {
            var a = Notification.CreateLock(sys);
            var b = Notification.CreateLock(sys);
            int t = sys.CreateThread((s, _) =>
            {
                b.On(s).Wait();
                s.Sleep(5);
                a.On(s).Wait(); // held by main
                return 0;
            });
            a.Wait();
            sys.Sleep(5);
            b.Wait(); // held by the other thread
            sys.Join(t);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        string report = r.DeadlockReport.ShouldNotBeNull();
        report.ShouldContain("tid 1 (abba/main) waits for notification #2 held by tid 2 (abba/thread-1)");
        report.ShouldContain("tid 2 (abba/thread-1) waits for notification #1 held by tid 1 (abba/main)");
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0);
    }

    [Fact]
    public void A_wait_any_blocked_forever_names_all_its_objects_in_the_deadlock_report()
    {
        var k = TestKernels.Boot();
        k.Spawn("stuck", sys =>
        {
            var a = Notification.Create(sys, "a");
            var b = Notification.Create(sys);
            Notification.WaitAny(-1, a, b);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        r.DeadlockReport.ShouldNotBeNull().ShouldContain("waits for any of notification #1 'a', notification #2");
    }

    [Fact]
    public void A_handler_interrupting_a_wait_may_poll_and_notify_but_not_start_a_second_wait()
    {
        var k = TestKernels.Boot();
        var inHandler = new List<long>();
        long mainWait = -1, notifiedA = -1, laterWait = 0, pendingA = -1;
        Process waiter = k.Spawn("waiter", sys =>
        {
            var a = Notification.Create(sys, "a");
            var b = Notification.Create(sys);
            sys.RegisterHandler(7, (s, m) =>
            {
                inHandler.Add(s.Syscall(SyscallNumber.Wait, (ulong)b.Handle, 5)); // would block: refused
                inHandler.Add(s.Syscall(SyscallNumber.Wait, (ulong)b.Handle, 0)); // polling is fine
                inHandler.Add(s.Syscall(SyscallNumber.Notify, (ulong)a.Handle, 1)); // ends the interrupted wait
                return false;
            });
            mainWait = sys.Syscall(SyscallNumber.Wait, (ulong)a.Handle, Forever);
            // The thread's wait record served the interrupted wait on a: nothing of it may linger on a. A notify of a
            // during a later wait on b must neither wake that wait nor be lost.
            int t = sys.CreateThread((s, _) =>
            {
                s.Sleep(3);
                notifiedA = s.Notify(a.Handle);
                return 0;
            });
            laterWait = sys.Syscall(SyscallNumber.Wait, (ulong)b.Handle, 10);
            sys.Join(t);
            pendingA = sys.Syscall(SyscallNumber.Wait, (ulong)a.Handle, 0);
            a.Close();
            b.Close();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(10);
            ulong page = sys.Map(4096);
            sys.Send(waiter.Pid, 7, page, 1);
            return 0;
        });
        Completes(k);
        inHandler.ShouldBe([(long)ErrorCode.NotPermitted, (long)ErrorCode.WouldBlock, 1]);
        mainWait.ShouldBe(0);
        (notifiedA, laterWait, pendingA).ShouldBe((0L, (long)ErrorCode.TimedOut, 0L));
    }

    [Fact]
    public void A_lock_has_one_holder_only_the_holder_releases_it_and_a_dead_holders_lock_passes_on_with_a_warning()
    {
        var k = TestKernels.Boot();
        var r = new List<long>();
        long other = -1;
        k.Spawn("p", sys =>
        {
            int l = Notification.CreateLock(sys).Handle;
            r.Add(Raw(sys, SyscallNumber.Wait, (ulong)l, 0));   // free: taken
            r.Add(Raw(sys, SyscallNumber.Wait, (ulong)l, 0));   // not recursive
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)l, 2)); // one unit only
            int t = sys.CreateThread((s, _) =>
            {
                other = s.Syscall(SyscallNumber.Wait, (ulong)l, Forever);
                return 0; // ends holding the lock
            });
            sys.Sleep(3);
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)l, 1)); // hands it to the waiting thread
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)l, 1)); // no longer the holder
            sys.Join(t);
            r.Add(Raw(sys, SyscallNumber.Wait, (ulong)l, 0));   // released for the dead holder: 1 = check the state
            r.Add(Raw(sys, SyscallNumber.Notify, (ulong)l, 1));
            r.Add(Raw(sys, SyscallNumber.Wait, (ulong)l, 0));   // an ordinary take again
            r.Add(sys.RawNotifyCreate("x", NotifyFlags.Open | NotifyFlags.Lock));
            return 0;
        });
        Completes(k);
        other.ShouldBe(0);
        k.NotifyStats.LockRecoveries.ShouldBe(2); // the thread, then main itself, which returns holding it
        r.ShouldBe([0, (long)ErrorCode.NotPermitted, (long)ErrorCode.InvalidArgument, 1, (long)ErrorCode.NotPermitted, 1, 0, 0,
            (long)ErrorCode.InvalidArgument]);
    }

    [Fact]
    public void Notify_and_wake_events_name_the_object_and_both_threads()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            var n = Notification.Create(sys);
            int t = sys.CreateThread((s, _) =>
            {
                n.On(s).Wait();
                return 0;
            });
            sys.Sleep(3);
            n.Notify(2);
            sys.Join(t);
            n.Close();
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        KernelEvent notify = log.Events.Single(e => e.Kind == EventKind.Notify);
        KernelEvent wake = log.Events.Single(e => e.Kind == EventKind.Wake);
        (notify.A0, notify.A1, notify.A2, notify.Result).ShouldBe((1UL, 2UL, 1UL, 1L));
        (wake.Tid, wake.A0, wake.A1, wake.A3, wake.Code).ShouldBe((2, 1UL, 0UL, (ulong)notify.Tid, 0L));
        var f = new EventFormatter(k.Syscalls);
        f.Format(notify).ShouldContain("notify object #1 +2: woke 1, 1 pending");
        f.Format(wake).ShouldContain("woken by object #1 (index 0) from pid 1 tid 1: 0");
    }
}
