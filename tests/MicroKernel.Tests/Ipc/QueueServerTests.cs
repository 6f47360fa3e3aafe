using System.Buffers.Binary;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Tests.Ipc;

/// <summary>The userland queue server: many producers and consumers, blocking, timeouts, dead clients, a dead server.</summary>
public class QueueServerTests
{
    private static byte[] Item(ulong value)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), ~value);
        return b;
    }

    private static ulong Value(ReadOnlySpan<byte> b)
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(b);
        BinaryPrimitives.ReadUInt64LittleEndian(b[8..]).ShouldBe(~v, "item corrupted in transit");
        return v;
    }

    private static void Finishes(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
        k.LiveNotifications.ShouldBe(0);
    }

    public static TheoryData<ProtectionModel, PolicyKind, ulong, int, int, int, string> Configurations() => new()
    {
        { ProtectionModel.Paging, PolicyKind.RoundRobin, 1, 4, 4, 3, "slot" },
        { ProtectionModel.Paging, PolicyKind.Random, 2, 1, 4, 3, "slot" },
        { ProtectionModel.Paging, PolicyKind.Random, 3, 2, 4, 3, "slot" },
        { ProtectionModel.Paging, PolicyKind.Random, 4, 16, 4, 3, "slot" },
        { ProtectionModel.Paging, PolicyKind.Random, 7, 3, 6, 5, "slot" },
        { ProtectionModel.Paging, PolicyKind.Priority, 5, 3, 4, 3, "slot" },
        // Under an MPU every connected client's call slot takes one of the server's few regions: fewer clients.
        { ProtectionModel.ArmV8Mpu, PolicyKind.Random, 6, 2, 2, 2, "slot" },
        { ProtectionModel.ArmV7Mpu, PolicyKind.RoundRobin, 8, 2, 2, 2, "slot" },
        { ProtectionModel.Paging, PolicyKind.RoundRobin, 1, 4, 4, 3, "rpc" },
        { ProtectionModel.Paging, PolicyKind.Random, 2, 1, 4, 3, "rpc" },
        { ProtectionModel.Paging, PolicyKind.Random, 7, 3, 6, 5, "rpc" },
        { ProtectionModel.Paging, PolicyKind.Priority, 5, 3, 4, 3, "rpc" },
        { ProtectionModel.ArmV8Mpu, PolicyKind.Random, 6, 2, 4, 3, "rpc" },
        { ProtectionModel.ArmV7Mpu, PolicyKind.RoundRobin, 8, 2, 4, 3, "rpc" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Several_producers_and_consumers_lose_and_duplicate_nothing(ProtectionModel model, PolicyKind policy, ulong seed, int capacity, int producers, int consumers, string transport)
    {
        static string S(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var k = TestKernels.Boot(model, policy, seed);
        Process server = k.Spawn("queue-server", "q", S(capacity), "16", transport);
        Process checker = k.Spawn("queue-check", "1", "q", S(producers), "25", S(consumers));
        for (int p = 0; p < producers; p++) k.Spawn("queue-producer", "1", "q", S(p), "25");
        for (int c = 0; c < consumers; c++) k.Spawn("queue-consumer", "1", "q", "2", S(producers), "25");
        Finishes(k);
        int total = producers * 25;
        k.ConsoleOutput.ToString().ShouldContain($"queue check: {total} of {total} items arrived exactly once (0 missing, 0 duplicated, 0 corrupt) from {producers} producers through {consumers} consumers: OK");
        checker.ExitStatus.ShouldBe(0);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0 && p.Faults.Count == 0);
        k.ConsoleOutput.ToString().ShouldContain($"queue server 'q' ({transport}): {total + consumers} items in, {total + consumers} out, 0 left"); // + the end markers
        server.ExitStatus.ShouldBe(0);
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void Random_schedules_of_a_small_queue_never_lose_an_item(string transport)
    {
        for (ulong seed = 100; seed < 140; seed++)
        {
            var k = TestKernels.Boot(policy: PolicyKind.Random, seed: seed);
            k.Spawn("queue-server", "r", "1", "16", transport);
            Process checker = k.Spawn("queue-check", "1", "r", "3", "10", "2");
            for (int p = 0; p < 3; p++) k.Spawn("queue-producer", "1", "r", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "10");
            for (int c = 0; c < 2; c++) k.Spawn("queue-consumer", "1", "r", "2", "3", "10");
            RunResult r = k.Run();
            r.Outcome.ShouldBe(RunOutcome.Completed, $"seed {seed}: {r.DeadlockReport}");
            checker.ExitStatus.ShouldBe(0, $"seed {seed}: {k.ConsoleOutput}");
            k.ShouldBalance();
            k.LiveNotifications.ShouldBe(0);
        }
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void One_consumer_sees_each_producers_items_in_the_order_they_were_sent(string transport)
    {
        var k = TestKernels.Boot(policy: PolicyKind.Random, seed: 9);
        k.Spawn("queue-server", "fifo", "3", "16", transport);
        var got = new List<ulong>();
        for (ulong p = 1; p <= 3; p++)
        {
            ulong me = p;
            k.Spawn($"producer{p}", sys =>
            {
                QueueClient q = QueueClient.Connect(sys, 1, "fifo");
                for (ulong i = 0; i < 20; i++) q.Send(Item(me * 1000 + i)).ShouldBe(ErrorCode.Ok);
                q.Close();
                return 0;
            });
        }
        k.Spawn("consumer", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "fifo");
            var item = new byte[16];
            for (int i = 0; i < 60; i++)
            {
                q.Receive(item).ShouldBe(ErrorCode.Ok);
                got.Add(Value(item));
            }
            q.Receive(item, 30).ShouldBe(ErrorCode.TimedOut); // nothing more was sent
            q.Shutdown().ShouldBe(ErrorCode.Ok);
            return 0;
        });
        Finishes(k);
        got.Count.ShouldBe(60);
        for (ulong p = 1; p <= 3; p++) got.Where(v => v / 1000 == p).ShouldBe(Enumerable.Range(0, 20).Select(i => p * 1000 + (ulong)i));
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void Full_and_empty_queues_fail_at_once_without_a_timeout_and_time_out_with_one(string transport)
    {
        var k = TestKernels.Boot();
        k.Spawn("queue-server", "small", "2", "16", transport);
        var results = new List<ErrorCode>();
        long emptyWaited = 0, fullWaited = 0, count = -1;
        k.Spawn("client", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "small");
            var item = new byte[16];
            results.Add(q.Receive(item, 0));              // empty: WouldBlock
            long t0 = sys.Time;
            results.Add(q.Receive(item, 20));             // empty: TimedOut after 20 ticks
            emptyWaited = sys.Time - t0;
            results.Add(q.Send(Item(1)));
            results.Add(q.Send(Item(2)));
            results.Add(q.Send(Item(3), 0));              // full: QueueFull
            t0 = sys.Time;
            results.Add(q.Send(Item(3), 15));             // full: TimedOut
            fullWaited = sys.Time - t0;
            count = q.Count();
            results.Add(q.Send(new byte[8]));             // wrong item size
            results.Add(q.Receive(item));
            Value(item).ShouldBe(1UL);
            results.Add(q.Send(Item(3), 0));              // room again
            q.Shutdown();
            return 0;
        });
        Finishes(k);
        results.ShouldBe([ErrorCode.WouldBlock, ErrorCode.TimedOut, ErrorCode.Ok, ErrorCode.Ok, ErrorCode.QueueFull, ErrorCode.TimedOut,
            ErrorCode.InvalidArgument, ErrorCode.Ok, ErrorCode.Ok]);
        emptyWaited.ShouldBeInRange(20, 40);
        fullWaited.ShouldBeInRange(15, 35);
        count.ShouldBe(2);
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void A_blocked_sender_wakes_when_a_receiver_makes_room(string transport)
    {
        var k = TestKernels.Boot();
        k.Spawn("queue-server", "b", "1", "16", transport);
        long sentAt = 0, receivedAt = 0;
        k.Spawn("sender", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "b");
            q.Send(Item(1)).ShouldBe(ErrorCode.Ok);
            q.Send(Item(2)).ShouldBe(ErrorCode.Ok); // blocks until the receiver takes item 1
            sentAt = sys.Time;
            q.Close();
            return 0;
        });
        k.Spawn("receiver", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "b");
            sys.Sleep(100);
            var item = new byte[16];
            receivedAt = sys.Time;
            q.Receive(item).ShouldBe(ErrorCode.Ok);
            Value(item).ShouldBe(1UL);
            q.Receive(item).ShouldBe(ErrorCode.Ok);
            Value(item).ShouldBe(2UL);
            q.Shutdown();
            return 0;
        });
        Finishes(k);
        sentAt.ShouldBeGreaterThan(receivedAt);
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void Clients_waiting_when_the_server_exits_get_process_exited(string transport)
    {
        var k = TestKernels.Boot();
        k.Spawn("queue-server", "gone", "2", "16", transport);
        var seen = new List<ErrorCode>();
        k.Spawn("waiter", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "gone");
            var item = new byte[16];
            seen.Add(q.Receive(item));         // blocks on not-empty; the server exits meanwhile
            seen.Add(q.Send(Item(1)));         // the server is gone: fails, no hang
            q.Close();                         // still releases everything of ours
            return 0;
        });
        k.Spawn("stopper", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "gone");
            sys.Sleep(50);
            q.Shutdown().ShouldBe(ErrorCode.Ok);
            return 0;
        });
        Finishes(k);
        seen.ShouldBe([ErrorCode.ProcessExited, ErrorCode.ProcessExited]);
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("rpc")]
    public void A_killed_client_blocked_on_a_full_queue_loses_nobody_elses_items(string transport)
    {
        var k = TestKernels.Boot();
        k.Spawn("queue-server", "k", "2", "16", transport);
        Process victim = k.Spawn("victim", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "k");
            sys.CreateThread((s, _) =>
            {
                s.Sleep(60);
                s.Memory.WriteUInt64(0x10, 1); // the process dies while main waits for room
                return 0;
            });
            q.Send(Item(901)).ShouldBe(ErrorCode.Ok);
            q.Send(Item(902)).ShouldBe(ErrorCode.Ok);
            q.Send(Item(903)); // blocks: the queue is full and nobody receives yet
            return 0;
        });
        var got = new List<ulong>();
        k.Spawn("survivor", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "k");
            sys.Sleep(80);
            for (ulong i = 0; i < 5; i++) q.Send(Item(i)).ShouldBe(ErrorCode.Ok);
            q.Close();
            return 0;
        });
        k.Spawn("consumer", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "k");
            sys.Sleep(70);
            var item = new byte[16];
            while (q.Receive(item, 200) == ErrorCode.Ok) got.Add(Value(item));
            q.Shutdown();
            return 0;
        });
        Finishes(k);
        victim.Faults.ShouldHaveSingleItem();
        got.ShouldBe([901UL, 902UL, 0, 1, 2, 3, 4]);
    }

    [Fact]
    public void Over_rpc_a_client_killed_in_the_middle_of_a_call_does_not_wedge_the_queue()
    {
        int recovered = 0;
        for (int killAt = 20; killAt < 60; killAt++)
        {
            var k = TestKernels.Boot(accessesPerTick: 8);
            k.Spawn("queue-server", "m", "64", "16", "rpc");
            Process victim = k.Spawn("victim", sys =>
            {
                QueueClient q = QueueClient.Connect(sys, 1, "m");
                sys.CreateThread((s, _) =>
                {
                    s.Sleep(killAt);
                    s.Memory.WriteUInt64(0x10, 1); // kills the process, whatever its main thread is doing
                    return 0;
                });
                for (ulong i = 0; i < 40; i++) q.Send(Item(1000 + i));
                return 0;
            });
            var got = new List<ulong>();
            k.Spawn("survivor", sys =>
            {
                QueueClient q = QueueClient.Connect(sys, 1, "m");
                for (ulong i = 0; i < 10; i++) q.Send(Item(i)).ShouldBe(ErrorCode.Ok);
                q.Close();
                return 0;
            });
            k.Spawn("consumer", sys =>
            {
                QueueClient q = QueueClient.Connect(sys, 1, "m");
                var item = new byte[16];
                while (q.Receive(item, 100) == ErrorCode.Ok) got.Add(Value(item));
                q.Shutdown();
                return 0;
            });
            RunResult r = k.Run();
            r.Outcome.ShouldBe(RunOutcome.Completed, $"kill at {killAt}: {r.DeadlockReport}");
            victim.Faults.ShouldHaveSingleItem();
            got.Where(v => v < 1000).ShouldBe(Enumerable.Range(0, 10).Select(i => (ulong)i), $"kill at {killAt}");
            got.Where(v => v >= 1000).ShouldBeUnique();
            k.ShouldBalance();
            k.LiveNotifications.ShouldBe(0);
            // The server counts recoveries in its own memory (a client's thread runs the call): the same count the kernel saw.
            var said = System.Text.RegularExpressions.Regex.Match(k.ConsoleOutput.ToString(), "lock recovered ([0-9]+) times");
            if (said.Success)
            {
                recovered++;
                long.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(k.NotifyStats.LockRecoveries);
            }
            else k.NotifyStats.LockRecoveries.ShouldBe(0);
        }
        recovered.ShouldBeGreaterThan(0); // some kills did land inside a call holding the lock
    }

    [Fact]
    public void A_client_cannot_connect_with_a_read_only_slot_or_call_an_unknown_operation()
    {
        var k = TestKernels.Boot();
        k.Spawn("queue-server", "v", "2", "16");
        long unknown = 0;
        k.Spawn("client", sys =>
        {
            // A read-only page cannot be a call slot: the server abandons it (the kernel frees it).
            sys.Sleep(5);
            ulong page = sys.Map(4096);
            sys.Send(1, QueueProtocol.ConnectType, page, 1, MicroKernel.Ipc.PageSend.SendFlags.None);
            SlotTransport t = SlotTransport.Connect(sys, 1, "v", Notification.OpenWhenCreated(sys, QueueProtocol.AliveName("v")).Handle);
            unknown = t.Call((QueueOp)99, [], []);
            t.Call(QueueOp.Shutdown, [], []);
            return 0;
        });
        Finishes(k);
        unknown.ShouldBe((long)ErrorCode.InvalidArgument);
    }
}
