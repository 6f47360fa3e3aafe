using MicroKernel.Processes;
using MicroKernel.Syscalls;

// The namespace of CoreSyscallTests (see there why not "MicroKernel.Tests.Syscalls").
namespace MicroKernel.Tests.SyscallsCore;

/// <summary>What a family that registers a syscall outside the table is told: the rule, and which argument broke it.</summary>
public class SyscallNumberRangeTests
{
    [Theory]
    [InlineData(-1L)]
    [InlineData(256L)]
    public void A_number_outside_the_table_is_refused_with_the_reason(long number)
    {
        var t = new SyscallTable();
        var e = Should.Throw<ArgumentOutOfRangeException>(() => t.Register(new(number, "stray", [], (SimThread c, in SyscallArgs a) => 0)));
        e.ParamName.ShouldBe("info");
        e.Message.ShouldStartWith("syscall number out of range");
    }
}
