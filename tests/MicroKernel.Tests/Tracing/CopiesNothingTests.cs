using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// A syscall the table declares to copy no user memory (<see cref="SyscallInfo.CopiesUserMemory"/> false) is traced
/// without its I/O record: the declaration must be true, or a trace would silently lose the bytes it copied. Each such
/// syscall runs with its recording forced on and arguments that point at mapped memory; it must record nothing.
/// </summary>
public class CopiesNothingTests
{
    [Fact]
    public void Every_syscall_declared_to_copy_nothing_records_no_io_whatever_its_arguments()
    {
        var k = TestKernels.Boot();
        k.AddSink(new EventLog());
        List<SyscallInfo> declared = [.. k.Syscalls.All.Where(i => !i.CopiesUserMemory)];
        declared.Select(i => i.Name).ShouldBe(["yield", "getpid", "gettid", "time"], ignoreOrder: true);
        var recorded = new Dictionary<string, int>();
        k.Spawn("copies", sys =>
        {
            ulong buffer = sys.Map(4096);
            sys.Memory.Write(buffer, "some bytes a syscall could copy"u8);
            SimThread me = k.ThreadOf(sys);
            ulong[][] argumentSets = [[0, 0, 0, 0, 0, 0], [buffer, 16, buffer, 16, buffer, 16], [1, buffer, 8, buffer, 4, buffer]];
            foreach (SyscallInfo info in declared)
            {
                int copies = 0;
                foreach (ulong[] a in argumentSets)
                    copies += CopiesMadeBy(me, () => sys.Syscall((SyscallNumber)info.Number, a[0], a[1], a[2], a[3], a[4], a[5]));
                recorded[info.Name] = copies;
            }
            // The probe sees a copy when there is one: write reads its buffer.
            recorded["write"] = CopiesMadeBy(me, () => sys.Syscall(SyscallNumber.Write, buffer, 4));
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        recorded["write"].ShouldBe(1);
        foreach (SyscallInfo info in declared) recorded[info.Name].ShouldBe(0, $"{info.Name} is declared to copy no user memory");
    }

    [Fact]
    public void A_traced_syscall_that_copies_nothing_leaves_no_io_on_its_exit_and_one_that_copies_keeps_its_bytes()
    {
        var log = new EventLog();
        var k = TestKernels.Boot();
        k.AddSink(log);
        k.Spawn("mixed", sys =>
        {
            sys.Print("abc");
            sys.Syscall(SyscallNumber.GetPid);
            sys.Print("de");
            sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        List<KernelEvent> exits = [.. log.Events.Where(e => e.Kind == EventKind.SyscallExit)];
        exits.Where(e => e.Code is (long)SyscallNumber.GetPid or (long)SyscallNumber.Time).ShouldAllBe(e => e.Io == null || e.Io.Count == 0);
        List<KernelEvent> writes = [.. exits.Where(e => e.Code == (long)SyscallNumber.Write)];
        writes.Select(e => System.Text.Encoding.ASCII.GetString(e.Io!.Single().Bytes.Span)).ShouldBe(["abc", "de"]);
    }

    // How many copies between user memory and the kernel `call` made, with the thread's I/O record switched on for it
    // (a syscall that declares it copies nothing would otherwise not record them).
    private static int CopiesMadeBy(SimThread thread, Action call)
    {
        thread.IoRecord.Clear();
        thread.RecordingIo = true;
        call();
        thread.RecordingIo = false;
        return thread.IoRecord.Count;
    }
}
