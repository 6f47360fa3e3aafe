using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The I/O record a thread reuses from syscall to syscall (<see cref="UserIoRecord"/>): it keeps any number of
/// copies in order, and once it has grown to a syscall's size, recording that syscall again allocates nothing (the
/// promise EventCostTests measures for one copy; here for several).
/// </summary>
public class UserIoRecordGrowthTests
{
    [Fact]
    public void A_syscall_with_more_copies_than_the_first_guess_keeps_them_all_in_order()
    {
        var record = new UserIoRecord();
        for (int i = 0; i < 9; i++) record.Add(0x1000 + (ulong)i, [(byte)i, (byte)(i + 1)], written: i % 2 == 1);
        record.Count.ShouldBe(9);
        for (int i = 0; i < 9; i++)
        {
            record[i].Address.ShouldBe(0x1000 + (ulong)i);
            record[i].Bytes.ToArray().ShouldBe([(byte)i, (byte)(i + 1)]);
            record[i].Written.ShouldBe(i % 2 == 1);
        }
        record.Select(u => u.Address).ShouldBe(Enumerable.Range(0, 9).Select(i => 0x1000 + (ulong)i));
        Should.Throw<ArgumentOutOfRangeException>(() => record[9]);
        Should.Throw<ArgumentOutOfRangeException>(() => record[-1]);
    }

    [Fact]
    public void Once_grown_to_a_syscalls_copies_the_record_allocates_nothing_for_the_same_syscall_again()
    {
        // Two copies of 200 bytes: more than the first buffer holds together, so it grows once, to hold both.
        byte[] copy = new byte[200];
        var record = new UserIoRecord();
        Record(record, copy); // grows here
        Record(new UserIoRecord(), copy); // the same path once more, on a fresh record: nothing left to compile
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Record(record, copy);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.ShouldBeLessThan(1000); // under a byte a syscall: nothing a syscall (a buffer a call would be 200 or more)
        record.Count.ShouldBe(2);
        record[1].Bytes.Length.ShouldBe(200);
    }

    private static void Record(UserIoRecord record, byte[] copy)
    {
        record.Clear();
        record.Add(0x1000, copy, written: false);
        record.Add(0x2000, copy, written: true);
    }
}
