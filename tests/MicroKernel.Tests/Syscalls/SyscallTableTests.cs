using MicroKernel.Processes;
using MicroKernel.Syscalls;

// The namespace of CoreSyscallTests (see there why not "MicroKernel.Tests.Syscalls").
namespace MicroKernel.Tests.SyscallsCore;

/// <summary>
/// The syscall table's own rules (numbers in range, each registered once, lookups of any number), the six-argument
/// record, and the error messages a refused call's fault detail is worded from.
/// </summary>
public class SyscallTableTests
{
    private static SyscallInfo Entry(long number, string name = "test") => new(number, name, [], (SimThread c, in SyscallArgs a) => number);

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(256L)]
    [InlineData(long.MaxValue)]
    public void A_number_outside_the_table_is_refused(long number)
    {
        var t = new SyscallTable();
        Should.Throw<ArgumentOutOfRangeException>(() => t.Register(Entry(number)));
        t.All.ShouldBeEmpty();
    }

    [Fact]
    public void The_first_and_last_numbers_of_the_table_are_accepted_and_found()
    {
        var t = new SyscallTable();
        t.Register(Entry(SyscallTable.Capacity - 1, "last"));
        t.Register(Entry(0, "first"));
        t.Find(0)!.Name.ShouldBe("first");
        t.Find(SyscallTable.Capacity - 1)!.Name.ShouldBe("last");
        t.All.Select(s => s.Name).ShouldBe(["first", "last"], "by number, not by registration");
    }

    [Fact]
    public void A_number_registered_twice_is_refused_and_the_first_entry_stays()
    {
        var t = new SyscallTable();
        t.Register(Entry(7, "one"));
        Should.Throw<InvalidOperationException>(() => t.Register(Entry(7, "two"))).Message.ShouldBe("syscall 7 registered twice");
        t.Find(7)!.Name.ShouldBe("one");
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(256L)]
    [InlineData(1000L)]
    [InlineData(5L)]
    public void Finding_a_number_nothing_has_is_null(long number)
    {
        var t = new SyscallTable();
        t.Register(Entry(4));
        t.Find(number).ShouldBeNull();
    }

    [Fact]
    public void The_args_record_reads_each_register_by_index_and_refuses_others()
    {
        var a = new SyscallArgs(10, 11, 12, 13, 14, 15);
        Enumerable.Range(0, 6).Select(i => a[i]).ShouldBe([10UL, 11, 12, 13, 14, 15]);
        Should.Throw<ArgumentOutOfRangeException>(() => a[6]);
        Should.Throw<ArgumentOutOfRangeException>(() => a[-1]);
    }

    [Fact]
    public void Every_error_has_its_own_message()
    {
        ErrorCode[] all = Enum.GetValues<ErrorCode>();
        string[] messages = [.. all.Select(e => e.Message())];
        messages.ShouldAllBe(m => m.Length > 0);
        messages.Distinct().Count().ShouldBe(all.Length, "no two errors explained the same way");
        // None is the fallback for an undefined value.
        messages.ShouldAllBe(m => !m.StartsWith("error ", StringComparison.Ordinal));
    }

    [Fact]
    public void Messages_read_as_documented_and_an_unknown_value_is_shown_as_its_number()
    {
        ErrorCode.Ok.Message().ShouldBe("success");
        ErrorCode.BadAddress.Message().ShouldBe("bad address: not mapped, not user-accessible, or wraps around");
        ErrorCode.NestingTooDeep.Message().ShouldBe("RPC calls nested too deep (limit 8)");
        ErrorCode.NoSuchConnection.Message().ShouldBe("no such shared-memory connection");
        ((ErrorCode)(-99)).Message().ShouldBe("error -99");
        ((ErrorCode)12345).Message().ShouldBe("error 12345");
        ErrorCode.TimedOut.AsResult().ShouldBe(-14);
    }
}
