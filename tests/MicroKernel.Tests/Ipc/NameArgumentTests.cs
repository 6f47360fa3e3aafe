using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>The names rpc_lookup and notify_create take are read by one kernel routine: its refusals, through both.</summary>
public class NameArgumentTests
{
    [Theory]
    [InlineData(SyscallNumber.RpcLookup)]
    [InlineData(SyscallNumber.NotifyCreate)]
    public void A_name_must_be_readable_printable_ascii(SyscallNumber number)
    {
        var k = TestKernels.Boot();
        long spaced = 0, control = 0, unmapped = 0, kernelHalf = 0, good = 0;
        k.Spawn("names", sys =>
        {
            ulong page = sys.Map(4096);
            long Call(ulong address, ulong length) => sys.Syscall(number, address, length);
            sys.Memory.WriteString(page, "a b");
            spaced = Call(page, 3);
            sys.Memory.WriteString(page, "ab\n");
            control = Call(page, 3);
            unmapped = Call(page + 4094, 4);                 // runs off the end of the mapping
            kernelHalf = Call(0xFFFF_8000_0000_0000, 4);
            sys.Memory.WriteString(page, "ok");
            good = Call(page, 2);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        spaced.ShouldBe((long)ErrorCode.InvalidArgument);
        control.ShouldBe((long)ErrorCode.InvalidArgument);
        unmapped.ShouldBe((long)ErrorCode.BadAddress);
        kernelHalf.ShouldBe((long)ErrorCode.BadAddress);
        // A readable name gets past the name check: lookup finds nothing, create makes the object.
        good.ShouldBe(number == SyscallNumber.RpcLookup ? (long)ErrorCode.NoSuchObject : 1);
        k.ShouldBalance();
    }
}
