using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// What <see cref="ProgramImage"/> gives an image that overrides only what it must, and what the kernel does when an
/// image's own machinery (not the program's code) throws: an image exports no RPC services unless it says so, and an
/// exception that escapes an image is a kernel panic, not the program's fault.
/// </summary>
public class ImageContractTests
{
    [Fact]
    public void An_image_that_does_not_say_it_exports_services_is_refused_rpc_export()
    {
        long result = 0;
        var image = new TestImage("plain")
        {
            Body = (t, _) =>
            {
                result = t.Syscall((long)SyscallNumber.RpcExport, TestImage.ThreadEntry, 0, 1, 0, 0);
                return 0;
            },
        };
        image.CanExportServices.ShouldBeFalse();
        using Kernel k = new(new KernelConfig { Frames = 64 });
        k.Spawn(image, "plain", out _).ShouldBe(ErrorCode.Ok);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        result.ShouldBe((long)ErrorCode.NotPermitted);
    }

    [Fact]
    public void Running_a_service_method_of_an_image_that_has_none_is_refused_by_name()
    {
        var image = new TestImage("plain");
        Should.Throw<NotSupportedException>(() => image.RunService(null!, TestImage.ThreadEntry, 0, new RpcArgs(0, 0, 0, 0, 0)))
            .Message.ShouldBe("plain cannot export RPC services");
    }

    [Fact]
    public void An_exception_from_the_images_own_machinery_is_a_kernel_panic_not_a_fault_of_the_program()
    {
        var image = new TestImage("broken")
        {
            Body = (t, _) =>
            {
                t.Syscall((long)SyscallNumber.GetPid);
                throw new InvalidOperationException("the interpreter lost its place");
            },
        };
        using Kernel k = new(new KernelConfig { Frames = 64 });
        k.Spawn(image, "broken", out Process? p).ShouldBe(ErrorCode.Ok);
        var (r, log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic.ShouldNotBeNull().Summary.ShouldContain("InvalidOperationException");
        r.Panic.Summary.ShouldContain("the interpreter lost its place");
        (r.Panic.Pid, r.Panic.Tid).ShouldBe((p!.Pid, 1));
        p.Faults.ShouldBeEmpty();
        log.Events.Single(e => e.Kind == EventKind.Panic).Pid.ShouldBe(p.Pid);
    }
}
