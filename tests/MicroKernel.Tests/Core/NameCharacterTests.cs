using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The kernel's routine for names a syscall takes (Kernel.CopyNameFromUser) accepts exactly the printable ASCII
/// characters, '!' (0x21) to '~' (0x7E): names appear in traces and reports, where a space or a control byte would
/// split or garble a line. Tested at both ends of the range and just outside them, through notify_create.
/// </summary>
public sealed class NameCharacterTests
{
    [Theory]
    [InlineData("!", true)]             // 0x21, the first printable
    [InlineData("~", true)]             // 0x7E, the last
    [InlineData("a!~z", true)]
    [InlineData(" ", false)]            // 0x20, space
    [InlineData("a\u007Fb", false)]     // 0x7F, DEL
    [InlineData("\u0080", false)]       // the first byte above ASCII
    public void A_name_may_hold_every_printable_ascii_character_and_nothing_else(string name, bool accepted)
    {
        var k = TestKernels.Boot();
        long result = 0;
        k.Spawn("names", sys =>
        {
            ulong page = sys.Map(4096);
            byte[] bytes = [.. name.Select(c => (byte)c)];
            sys.Memory.Write(page, bytes);
            result = sys.Syscall(SyscallNumber.NotifyCreate, page, (ulong)bytes.Length);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        if (accepted) result.ShouldBeGreaterThan(0); // a handle
        else result.ShouldBe((long)ErrorCode.InvalidArgument);
        k.ShouldBalance();
    }
}
