using MicroKernel.Hardware;
using MicroKernel.Ipc;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>A service whose method can reach a broken kernel path.</summary>
public interface IPanicky
{
    /// <summary>Makes the broken syscall when <paramref name="x"/> is 1, throws when it is 2, else returns x.</summary>
    long Run(long x);
}

/// <summary>
/// A bug in kernel code is a kernel panic (the run stops, a report with the kernel stack, a Panic event), never the
/// fault of the user program that happened to be running; an exception of the program's own code stays its fault,
/// even when that code runs nested inside kernel frames (a handler, an RPC method).
/// </summary>
public class KernelPanicTests
{
    /// <summary>A syscall number no kernel uses: the broken syscall the tests register.</summary>
    internal const long BrokenSyscall = 200;

    /// <summary>Registers a syscall whose handler fails like a kernel bug would.</summary>
    internal static void PlantBrokenSyscall(Kernel k) =>
        k.Syscalls.Register(new SyscallInfo(BrokenSyscall, "broken", [], (SimThread _, in SyscallArgs _) =>
            throw new InvalidOperationException("broken syscall handler")));

    /// <summary>
    /// An IPC family with bugs: delivering its upcall throws (an access point or a syscall entry reaches it), and,
    /// when asked, a thread's end throws too.
    /// </summary>
    internal sealed class BrokenFamily(Kernel kernel, bool breakThreadExit = false) : IIpcFamily
    {
        private int _pending;

        /// <summary>Queues an upcall for <paramref name="p"/>: its next delivery point runs the broken delivery.</summary>
        public void Queue(Process p)
        {
            _pending++;
            kernel.UpcallQueued(p);
        }

        public bool TryDeliverOne(SimThread thread)
        {
            if (_pending == 0) return false;
            _pending--;
            thread.Process.PendingUpcalls--;
            throw new InvalidOperationException("broken family: upcall delivery");
        }

        public void OnThreadExit(SimThread thread)
        {
            if (breakThreadExit) throw new InvalidOperationException("broken family: thread exit");
        }

        public void OnProcessExit(Process process) { }

        public int PinnedReferences(ulong frame) => 0;
    }

    private static void ShouldHavePanicked(RunResult r, EventLog log, string summary, Process runner)
    {
        r.Outcome.ShouldBe(RunOutcome.Panic);
        PanicReport panic = r.Panic.ShouldNotBeNull();
        panic.Summary.ShouldBe(summary);
        KernelEvent e = log.Events.Single(x => x.Kind == EventKind.Panic);
        e.Text.ShouldBe(summary);
        panic.Seq.ShouldBe(e.Seq);
        panic.Tick.ShouldBe(e.Tick);
        (panic.Pid, panic.Tid).ShouldBe((runner.Pid, e.Tid));
        e.Pid.ShouldBe(runner.Pid);
        panic.KernelStack.ShouldContain(summary.Split(':')[0]);
        panic.KernelStack.ShouldContain(" at ");
        panic.ToString().ShouldContain($"kernel panic at tick {e.Tick}, event #{e.Seq}");
        // Nobody is blamed: no process has a fault, and every one was killed.
        r.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        r.Processes.ShouldAllBe(p => p.State == ProcessState.Exited && p.ExitStatus == Kernel.KilledStatus);
        // The Panic event comes before the kills it causes.
        log.Events.Last(x => x.Kind == EventKind.ProcessExit).Seq.ShouldBeGreaterThan(e.Seq);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_kernel_exception_on_the_syscall_path_is_a_panic_not_the_callers_fault(ProtectionModel model)
    {
        Kernel k = TestKernels.Boot(model);
        PlantBrokenSyscall(k);
        string? caught = null;
        long yieldsAfter = 0;
        Process caller = k.Spawn("caller", sys =>
        {
            sys.Yield();
            try
            {
                sys.Syscall((SyscallNumber)BrokenSyscall);
            }
            catch (Exception e) when (e is not ThreadTerminatedException)
            {
                // A program that catches everything still cannot carry on: every later kernel entry unwinds it.
                caught = e.GetType().Name;
            }
            while (true)
            {
                sys.Yield();
                yieldsAfter++;
            }
        });
        Process bystander = k.Spawn("bystander", sys =>
        {
            while (true) sys.Yield();
        });
        (RunResult r, EventLog log) = k.RunLogged();
        ShouldHavePanicked(r, log, "InvalidOperationException: broken syscall handler", caller);
        caught.ShouldBe(nameof(KernelPanicException));
        yieldsAfter.ShouldBe(0);
        bystander.ExitStatus.ShouldBe(Kernel.KilledStatus);
        r.Panic!.KernelStack.ShouldContain(nameof(KernelPanicTests)); // the stack shows the broken handler
    }

    [Fact]
    public void A_kernel_exception_in_upcall_delivery_at_an_access_point_is_a_panic()
    {
        Kernel k = TestKernels.Boot(accessesPerTick: 1);
        var family = new BrokenFamily(k);
        k.AddFamily(family);
        long accesses = 0;
        Process? self = null;
        Process p = k.Spawn("toucher", sys =>
        {
            ulong page = sys.Map(4096);
            family.Queue(self!); // what an IPC sender would do; no syscall from here on
            for (int i = 0; i < 100; i++)
            {
                sys.Memory.WriteUInt64(page, (ulong)i);
                accesses++;
            }
            return 0;
        });
        self = p;
        (RunResult r, EventLog log) = k.RunLogged();
        ShouldHavePanicked(r, log, "InvalidOperationException: broken family: upcall delivery", p);
        r.Panic!.KernelStack.ShouldContain("AccessPoint");
        r.Panic.KernelStack.ShouldNotContain("Kernel.Syscall");
        accesses.ShouldBeLessThan(100);
    }

    [Fact]
    public void A_kernel_exception_when_a_thread_ends_is_a_panic()
    {
        Kernel k = TestKernels.Boot();
        k.AddFamily(new BrokenFamily(k, breakThreadExit: true));
        Process p = k.Spawn("returner", _ => 3);
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic!.Summary.ShouldBe("InvalidOperationException: broken family: thread exit");
        log.Events.ShouldContain(e => e.Kind == EventKind.Panic && e.Pid == p.Pid);
        p.Faults.ShouldBeEmpty();
    }

    [Fact]
    public void A_kernel_exception_while_handling_a_fault_is_a_panic_not_a_second_fault()
    {
        Kernel k = TestKernels.Boot();
        k.ExitObserver = _ => throw new InvalidOperationException("broken exit hook");
        Process p = k.Spawn("reader", sys => (long)sys.Memory.ReadUInt64(0x7000_0000)); // unmapped: a fault, then the kill
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic!.Summary.ShouldBe("InvalidOperationException: broken exit hook");
        r.Panic.KernelStack.ShouldContain("RaiseFault");
        p.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.NotPresent); // the program's own fault, and no other
        log.Events.Count(e => e.Kind == EventKind.Fault).ShouldBe(1);
        log.Events.Single(e => e.Kind == EventKind.Panic).Seq.ShouldBeGreaterThan(log.Events.Single(e => e.Kind == EventKind.Fault).Seq);
    }

    [Fact]
    public void Without_listeners_the_report_has_no_event_number_but_the_tick_and_the_stack()
    {
        Kernel k = TestKernels.Boot();
        PlantBrokenSyscall(k);
        k.Spawn("caller", sys => sys.Syscall((SyscallNumber)BrokenSyscall));
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic!.Seq.ShouldBeNull();
        r.Panic.Tick.ShouldBe(1);
        r.Panic.ToString().ShouldStartWith("kernel panic at tick 1, on tid 1 (pid 1): InvalidOperationException: broken syscall handler\nkernel stack:\n");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_handler_that_throws_is_its_own_process_fault_whether_it_runs_at_an_access_point_or_inside_a_syscall(bool receiverWaitsInPause)
    {
        Kernel k = TestKernels.Boot(accessesPerTick: 1);
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(7, (_, _) => throw new InvalidOperationException("bad handler"));
            if (receiverWaitsInPause) sys.Pause(); // the handler runs inside the pause syscall
            ulong page = sys.Map(4096);
            for (int i = 0; i < 10_000; i++) sys.Memory.WriteUInt64(page, (ulong)i); // ... or at an access point
            return 0;
        });
        Process sender = k.Spawn("sender", sys =>
        {
            ulong page = sys.Map(4096);
            sys.Memory.WriteUInt64(page, 1);
            return sys.Send(receiver.Pid, 7, page, 1, SendFlags.None) == 1 ? 0 : 1;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Panic);
        FaultRecord f = receiver.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.UserException);
        f.Detail.ShouldBe("System.InvalidOperationException escaped the program's code");
        f.HostMessage.ShouldBe("bad handler");
        receiver.ExitStatus.ShouldBe(128 + (long)FaultReason.UserException);
        sender.Faults.ShouldBeEmpty();
        k.ShouldBalance();
    }

    private sealed class Panicky : IPanicky
    {
        public long Run(long x) => x switch
        {
            1 => Rpc.Sys.Syscall((SyscallNumber)BrokenSyscall),
            2 => throw new ArgumentException("service bug"),
            _ => x,
        };
    }

    [Fact]
    public void An_rpc_method_that_throws_is_the_callees_fault_and_the_caller_gets_PeerFaulted()
    {
        Kernel k = TestKernels.Boot();
        long result = 0;
        Process server = k.Spawn("server", sys =>
        {
            Rpc.Export<IPanicky>(new Panicky(), "panicky");
            sys.Sleep(1000);
            return 0;
        });
        Process client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("panicky")) < 0) sys.Yield();
            result = Rpc.TryCall(new RpcHandle<IPanicky>((ulong)h), s => s.Run(2));
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        FaultRecord serverFault = server.Faults.ShouldHaveSingleItem();
        serverFault.Detail.ShouldBe("System.ArgumentException escaped the program's code");
        serverFault.HostMessage.ShouldBe("service bug");
        client.Faults.ShouldBeEmpty();
        client.ExitStatus.ShouldBe(0);
    }

    [Fact]
    public void A_kernel_bug_inside_an_rpc_method_is_a_panic_not_PeerFaulted()
    {
        Kernel k = TestKernels.Boot();
        PlantBrokenSyscall(k);
        long result = 12345;
        Process server = k.Spawn("server", sys =>
        {
            Rpc.Export<IPanicky>(new Panicky(), "panicky");
            sys.Sleep(1000);
            return 0;
        });
        Process client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("panicky")) < 0) sys.Yield();
            result = Rpc.TryCall(new RpcHandle<IPanicky>((ulong)h), s => s.Run(1));
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        // The thread acted for the callee when the kernel broke: the report names the callee and the client's thread.
        ShouldHavePanicked(r, log, "InvalidOperationException: broken syscall handler", server);
        r.Panic!.Tid.ShouldBe(log.Events.First(e => e.Pid == client.Pid).Tid);
        result.ShouldBe(12345); // rpc_call never returned to the client
        log.Events.ShouldNotContain(e => e.Kind == EventKind.RpcReturn);
        k.RpcStats.CalleeFaults.ShouldBe(0);
    }

    [Fact]
    public void A_constructor_that_throws_at_a_restart_ends_the_process_without_a_panic()
    {
        Kernel k = TestKernels.Boot();
        int constructed = 0;
        var image = new ManagedProgram("fragile", () => ++constructed == 1 ? new Crasher() : throw new InvalidOperationException("no second life"));
        k.Spawn(image, "fragile", out Process? p, faultPolicy: FaultPolicy.Restart).ShouldBe(ErrorCode.Ok);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        constructed.ShouldBe(2);
        p!.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.UserException);
        p.ExitStatus.ShouldBe(Kernel.KilledStatus);
        k.ShouldBalance();
    }

    private sealed class Crasher : UserProgram
    {
        public override long Main(Sys sys) => throw new InvalidOperationException("first life ends");
    }
}
