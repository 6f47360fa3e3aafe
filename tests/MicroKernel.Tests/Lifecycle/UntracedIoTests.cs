using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// A thread records the user memory its syscalls copy only while the kernel traces (<see cref="KernelEvent.Io"/>):
/// with no sink listening, a syscall that reads user memory keeps no copy of it, so a long untraced run does not
/// grow a record nobody reads.
/// </summary>
public class UntracedIoTests
{
    private const int Calls = 3000;

    [Fact]
    public void An_untraced_write_keeps_no_copy_of_the_bytes_it_read()
    {
        Action<Sys> print = sys => sys.Print("hello\n");
        long untraced = AllocatedBy(print, null);
        long traced = AllocatedBy(print, new CountingSink());
        // A traced write reuses the thread's one record (EventCostTests); an untraced one has nothing to add to.
        (untraced - traced).ShouldBeLessThan(Calls, $"untraced {untraced} B, traced {traced} B for {Calls} writes");
    }

    // Bytes allocated on the program's host thread by Calls calls of `call`, after as many to warm up.
    private static long AllocatedBy(Action<Sys> call, IEventSink? sink)
    {
        using Kernel k = TestKernels.Boot();
        if (sink is not null) k.AddSink(sink);
        long allocated = -1;
        k.Spawn("alloc", sys =>
        {
            for (int i = 0; i < Calls; i++) call(sys);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Calls; i++) call(sys);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        return allocated;
    }

    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;
    }
}
