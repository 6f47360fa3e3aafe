using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// One simulated CPU: a host thread that does not hold the CPU is refused at every kernel entry through a thread's
/// port (a syscall, a load or store, a copy from or to user memory), with a host report that names the host thread,
/// the port, the attempt and the holder, word for word; the run itself goes on unchanged.
/// </summary>
public sealed class ForeignHostTests
{
    [Fact]
    public void A_syscall_from_a_host_thread_the_program_started_is_refused_with_a_report_naming_everything()
    {
        using Kernel k = TestKernels.Boot();
        (Exception? Thrown, int HostId) refused = default, unnamed = default;
        ulong page = 0;
        Process p = k.Spawn("owner", sys =>
        {
            page = sys.Map(4096);
            refused = ForeignHostThread.Run("rogue", () => sys.Syscall(SyscallNumber.GetPid));
            unnamed = ForeignHostThread.Run(null, () => sys.Memory.WriteUInt64(page, 7));
            return sys.Memory.ReadUInt64(page) == 0 ? 0 : 1; // the refused store changed nothing
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(0);
        refused.Thrown.ShouldBeOfType<CpuNotHeldException>();
        unnamed.Thrown.ShouldBeOfType<CpuNotHeldException>();
        r.HostReports.ShouldBe([
            $"cpu: host thread {refused.HostId} 'rogue' used the port of tid 1 (owner/main) for a syscall 2 while tid 1 (owner/main) held the CPU: refused",
            $"cpu: host thread {unnamed.HostId} (unnamed) used the port of tid 1 (owner/main) for a store of 8 bytes at 0x{page:x} while tid 1 (owner/main) held the CPU: refused",
        ]);
        refused.Thrown!.Message.ShouldBe(r.HostReports[0]);
        unnamed.Thrown!.Message.ShouldBe(r.HostReports[1]);
        k.HostReports.ShouldBe(r.HostReports);
        r.Deterministic.ShouldBeTrue();
    }

    [Fact]
    public void Copies_to_and_from_user_memory_check_the_holder_too()
    {
        using Kernel k = TestKernels.Boot();
        var thrown = new List<Exception?>();
        ulong page = 0;
        k.Spawn("copier", sys =>
        {
            page = sys.Map(4096);
            SimThread owner = k.ThreadOf(sys);
            k.CopyToUser(owner, page, [1, 2, 3]).ShouldBeTrue(); // the holder may
            var back = new byte[3];
            k.CopyFromUser(owner, page, back).ShouldBeTrue();
            back.ShouldBe(new byte[] { 1, 2, 3 });
            thrown.Add(ForeignHostThread.Run("copier-helper", () => k.CopyToUser(owner, page, [9])).Thrown);
            thrown.Add(ForeignHostThread.Run("copier-helper", () => k.CopyFromUser(owner, page, new byte[1])).Thrown);
            return sys.Memory.ReadByte(page);
        });
        RunResult r = k.Run();

        r.Processes.Single().ExitStatus.ShouldBe(1); // the refused copy wrote nothing
        thrown.ShouldAllBe(e => e is CpuNotHeldException);
        r.HostReports.Count.ShouldBe(2);
        r.HostReports[0].ShouldContain("for a copy to user while tid 1 (copier/main) held the CPU");
        r.HostReports[1].ShouldContain("for a copy from user while tid 1 (copier/main) held the CPU");
    }

    [Fact]
    public void A_port_used_after_the_run_is_refused_while_no_thread_holds_the_cpu()
    {
        using Kernel k = TestKernels.Boot();
        Sys? port = null;
        k.Spawn("gone", sys =>
        {
            port = sys;
            return 0;
        });
        k.Run().HostReports.ShouldBeEmpty();
        Should.Throw<CpuNotHeldException>(() => port!.Syscall(SyscallNumber.GetPid)).Message
            .ShouldEndWith("used the port of tid 1 (gone/main) for a syscall 2 while no thread held the CPU: refused");
        k.HostReports.Count.ShouldBe(1);
    }

    [Fact]
    public void Each_csharp_thread_starts_one_host_thread_and_dispose_leaves_none()
    {
        var k = TestKernels.Boot();
        k.HostThreadsStarted.ShouldBe(0);
        k.Spawn("threads", sys =>
        {
            int a = sys.CreateThread((s, _) => 1);
            int b = sys.CreateThread((s, _) => 2);
            return sys.Join(a) + sys.Join(b);
        });
        k.HostThreadsStarted.ShouldBe(1);
        k.LiveHostThreads.ShouldBe(1);
        k.Run().Processes.Single().ExitStatus.ShouldBe(3);
        k.HostThreadsStarted.ShouldBe(3);
        k.IsDisposed.ShouldBeFalse();
        k.Dispose();
        k.IsDisposed.ShouldBeTrue();
        k.LiveHostThreads.ShouldBe(0);
        k.HostThreadsStarted.ShouldBe(3);
    }
}
