using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Userland.Runtime;
using MicroKernel.X86;

namespace MicroKernel.Tests.Scheduling;

/// <summary>One simulated CPU, enforced: only the host thread that holds the CPU may use a thread's port.</summary>
public class OneCpuTests
{
    [Fact]
    public void A_store_from_a_host_thread_the_program_started_is_refused_reported_and_changes_nothing()
    {
        using Kernel k = TestKernels.Boot();
        Exception? thrown = null;
        ulong seen = 99, address = 0;
        Process p = k.Spawn("racer", sys =>
        {
            address = sys.Map(4096);
            thrown = ForeignHostThread.Run("rogue", () => sys.Memory.WriteUInt64(address, 42)).Thrown;
            seen = sys.Memory.ReadUInt64(address);
            return 0;
        });
        RunResult r = k.Run();
        thrown.ShouldBeOfType<CpuNotHeldException>();
        seen.ShouldBe(0UL);
        p.ExitStatus.ShouldBe(0);
        string report = r.HostReports.ShouldHaveSingleItem();
        report.ShouldContain("'rogue'");
        report.ShouldContain("the port of tid 1 (racer/main)");
        report.ShouldContain($"store of 8 bytes at 0x{address:x}");
        report.ShouldContain("while tid 1 (racer/main) held the CPU: refused");
        thrown!.Message.ShouldBe(report);
        r.Deterministic.ShouldBeTrue();
    }

    [Fact]
    public void Loads_syscalls_and_byte_stores_from_a_foreign_host_thread_are_refused_and_virtual_time_does_not_move()
    {
        using Kernel k = TestKernels.Boot();
        var thrown = new List<Exception?>();
        long before = 0, after = 0;
        k.Spawn("racer", sys =>
        {
            ulong a = sys.Map(4096);
            before = sys.Time;
            thrown.Add(ForeignHostThread.Run("rogue", () => sys.Memory.ReadUInt64(a)).Thrown);
            thrown.Add(ForeignHostThread.Run("rogue", () => sys.Memory.ReadBytes(a, 16)).Thrown);
            thrown.Add(ForeignHostThread.Run("rogue", () => sys.Memory.Write(a, [1, 2, 3])).Thrown);
            thrown.Add(ForeignHostThread.Run("rogue", () => _ = sys.Time).Thrown);
            SimThread me = k.ThreadOf(sys);
            thrown.Add(ForeignHostThread.Run("rogue", () => me.CountAccess()).Thrown);
            after = sys.Time;
            return sys.Memory.ReadByte(a);
        });
        RunResult r = k.Run();
        thrown.ShouldAllBe(e => e is CpuNotHeldException);
        after.ShouldBe(before + 1); // only the owner's own time syscall ticked
        r.Processes[0].ExitStatus.ShouldBe(0);
        r.HostReports.Count.ShouldBe(5);
        r.HostReports[0].ShouldContain("load of 8 bytes");
        r.HostReports[1].ShouldContain("load of 16 bytes");
        r.HostReports[2].ShouldContain("store of 3 bytes");
        r.HostReports[3].ShouldContain($"syscall {(long)Syscalls.SyscallNumber.Time}");
        r.HostReports[4].ShouldContain("counted access");
    }

    [Fact]
    public void A_thread_using_another_simulated_threads_port_is_refused()
    {
        using Kernel k = TestKernels.Boot();
        Sys? workerPort = null;
        Exception? thrown = null;
        k.Spawn("two", sys =>
        {
            ulong a = sys.Map(4096);
            int t = sys.CreateThread((s, _) =>
            {
                workerPort = s;
                s.Sleep(50);
                return 0;
            });
            while (workerPort is null) sys.Yield();
            try
            {
                workerPort.Memory.WriteUInt64(a, 1); // main holds the CPU, but this is the worker's port
            }
            catch (CpuNotHeldException e)
            {
                thrown = e;
            }
            return sys.Join(t);
        });
        RunResult r = k.Run();
        thrown.ShouldNotBeNull();
        r.HostReports.ShouldHaveSingleItem().ShouldContain("the port of tid 2 (two/thread-");
        r.HostReports[0].ShouldContain("while tid 1 (two/main) held the CPU");
    }

    [Fact]
    public void The_x86_memory_adapter_refuses_a_host_thread_that_does_not_hold_the_cpu()
    {
        using Kernel k = TestKernels.Boot();
        Exception? thrown = null;
        MemoryFault? ownFault = new MemoryFault(0, AccessKind.Read, FaultReason.NotPresent);
        k.Spawn("x86-port", sys =>
        {
            ulong a = sys.Map(4096);
            var memory = new KernelX86Memory(k.ThreadOf(sys));
            ownFault = memory.Read(a, new byte[8], AccessKind.Read); // the holder: allowed
            thrown = ForeignHostThread.Run("rogue", () => memory.Write(a, [1])).Thrown;
            return 0;
        });
        RunResult r = k.Run();
        ownFault.ShouldBeNull();
        thrown.ShouldBeOfType<CpuNotHeldException>();
        r.HostReports.ShouldHaveSingleItem().ShouldContain("x86 store of 1 bytes");
    }

    [Fact]
    public void A_foreign_host_thread_is_refused_after_the_run_too()
    {
        using Kernel k = TestKernels.Boot();
        Sys? port = null;
        ulong a = 0;
        k.Spawn("gone", sys =>
        {
            a = sys.Map(4096);
            port = sys;
            return 0;
        });
        k.Run();
        Should.Throw<CpuNotHeldException>(() => port!.Memory.ReadUInt64(a)).Message.ShouldContain("while no thread held the CPU");
        k.HostReports.Count.ShouldBe(1);
    }
}
