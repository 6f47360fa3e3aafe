using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A fault's record as reports print it and the exit status it gives its process (128 + the reason's number, like a
/// signal), and the words the kernel chooses for a C# exception that escaped user code.
/// </summary>
public class FaultRecordTests
{
    [Fact]
    public void A_fault_prints_who_what_where_and_its_detail()
    {
        var f = new FaultRecord(3, 7, 42, 0x1000, AccessKind.Write, FaultReason.ReadOnly, "mov [rax], rbx");
        f.ToString().ShouldBe("pid 3 tid 7: ReadOnly (write at 0x1000): mov [rax], rbx");
    }

    [Fact]
    public void A_fault_without_detail_prints_no_colon_after_the_address()
    {
        new FaultRecord(1, 1, 0, 0xdead000, AccessKind.Read, FaultReason.NotPresent, "").ToString()
            .ShouldBe("pid 1 tid 1: NotPresent (read at 0xdead000)");
    }

    [Theory]
    [InlineData(FaultReason.NotPresent, 128)]
    [InlineData(FaultReason.ReadOnly, 129)]
    [InlineData(FaultReason.UserException, 139)]
    public void The_exit_status_is_128_plus_the_reason(FaultReason reason, long status)
    {
        new FaultRecord(1, 1, 0, 0, AccessKind.Read, reason, "").ExitStatus.ShouldBe(status);
    }

    [Fact]
    public void An_escaped_exception_is_recorded_as_its_type_with_the_kernels_words()
    {
        FaultRecord f = FaultRecord.ForUserException(2, 5, 9, new InvalidOperationException("in any language"));
        (f.Pid, f.Tid, f.Tick, f.Address, f.Access, f.Reason).ShouldBe((2, 5, 9L, 0UL, AccessKind.Execute, FaultReason.UserException));
        f.Detail.ShouldBe("System.InvalidOperationException escaped the program's code");
        f.HostMessage.ShouldBe("in any language");
    }

    [Fact]
    public void A_refused_syscall_that_escaped_names_the_call_and_the_error()
    {
        FaultRecord f = FaultRecord.ForUserException(2, 5, 9, new SyscallException(SyscallNumber.ThreadJoin, ErrorCode.NoSuchThread));
        f.Detail.ShouldBe("MicroKernel.Userland.Runtime.SyscallException ThreadJoin failed: no such thread in this process (-7)");
    }
}
