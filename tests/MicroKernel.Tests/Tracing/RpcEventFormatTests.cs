using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The two RPC event lines (<see cref="EventKind.RpcEnter"/>, <see cref="EventKind.RpcReturn"/>) word for word, as
/// `mk trace show` prints them and docs/rpc.md quotes them: every field in its place, a failed call's result with its
/// error name. EventFormatterTests covers the other kinds.
/// </summary>
public class RpcEventFormatTests
{
    private static readonly EventFormatter Formatter = new(new Kernel(new KernelConfig { Frames = 16 }).Syscalls);

    [Fact]
    public void An_rpc_enter_line_names_object_method_depth_caller_pages_and_regions()
    {
        var e = new KernelEvent { Tick = 64, Pid = 2, Tid = 3, Kind = EventKind.RpcEnter, A0 = 5, A1 = 1, A2 = 2, A3 = 4, A4 = 3, A5 = 6 };
        Formatter.Format(e).ShouldBe("     64 [pid 2 tid 3]      rpc enter object 5 method 1 depth 2 from pid 3: grant 6 SHARED pages, 4 MPU regions");
    }

    [Fact]
    public void An_rpc_return_line_gives_the_result_and_an_error_by_name()
    {
        var ok = new KernelEvent { Tick = 65, Pid = 3, Tid = 3, Kind = EventKind.RpcReturn, A0 = 5, A1 = 1, A2 = 1, Result = 42 };
        Formatter.Format(ok).ShouldBe("     65 [pid 3 tid 3]      rpc return object 5 method 1 depth 1 = 42, grants revoked");
        KernelEvent failed = ok with { Result = (long)ErrorCode.PeerFaulted };
        Formatter.Format(failed).ShouldEndWith($"rpc return object 5 method 1 depth 1 = {(long)ErrorCode.PeerFaulted} PeerFaulted, grants revoked");
    }
}
