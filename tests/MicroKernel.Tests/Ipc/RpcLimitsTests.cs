using System.Text;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// The RPC family's documented limits (docs/rpc.md), each at exactly the limit and one past it: methods per object,
/// arguments per method, name length, objects per process, the size of a SHARED buffer. Found by mutation testing
/// (docs/testing.md): the other tests stayed well inside every limit.
/// </summary>
public class RpcLimitsTests
{
    // The first entry a C# program registers after its main thread's: the first Rpc.Export of the program.
    private const ulong FirstServiceEntry = 0x400010;

    [Fact]
    public void Export_takes_32_methods_of_4_arguments_and_a_32_byte_name_and_refuses_one_more()
    {
        var k = TestKernels.Boot();
        var r = new Dictionary<string, long>();
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe());                       // registers the service entry
            ulong table = sys.Map(4096);
            for (ulong i = 0; i < 33; i++) sys.Memory.WriteByte(table + i, 4);
            ulong name = table + 256;
            sys.Memory.Write(name, Encoding.ASCII.GetBytes(new string('n', 33)));
            r["32 methods"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table, 32, 0, 0);
            r["33 methods"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table, 33, 0, 0);
            r["name 32"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table, 1, name, 32);
            r["name 33"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table, 1, name + 256, 33);
            r["lookup 32"] = sys.Syscall(SyscallNumber.RpcLookup, name, 32);
            r["lookup 31"] = sys.Syscall(SyscallNumber.RpcLookup, name, 31);
            r["lookup 33"] = sys.Syscall(SyscallNumber.RpcLookup, name, 33);
            r["lookup 0"] = sys.Syscall(SyscallNumber.RpcLookup, name, 0);
            r["0 methods"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table, 0, 0, 0);
            sys.Memory.WriteByte(table + 513, 5);                 // methods 0..1 of this vtable take 0 and 5 arguments
            r["5 arguments"] = sys.Syscall(SyscallNumber.RpcExport, FirstServiceEntry, table + 512, 2, 0, 0);
            sys.Sleep(100);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            while (!r.ContainsKey("5 arguments")) sys.Yield();
            // Method 32 does not exist; method 31, the last, takes 4 arguments and gets past every check to the
            // service, whose binding (an IProbe: 3 methods) has no method 31 and faults.
            r["call m32"] = Rpc.CallRaw((ulong)r["32 methods"], 32, 4, 1, 2, 3, 4);
            r["call m31"] = Rpc.CallRaw((ulong)r["32 methods"], 31, 4, 1, 2, 3, 4);
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        r["32 methods"].ShouldBe(2);
        r["33 methods"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["name 32"].ShouldBe(3);
        r["name 33"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["lookup 32"].ShouldBe(3);
        r["lookup 31"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["lookup 33"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["lookup 0"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["0 methods"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["5 arguments"].ShouldBe((long)ErrorCode.InvalidArgument, "one method over the limit is enough");
        r["call m32"].ShouldBe((long)ErrorCode.NoSuchMethod);
        r["call m31"].ShouldBe((long)ErrorCode.PeerFaulted);
        k.RpcStats.Calls.ShouldBe(1);
        k.RpcStats.Refused.ShouldBe(1);
        k.ShouldBalance();
    }

    [Fact]
    public void A_process_exports_16_live_objects_and_a_withdrawn_one_frees_its_place()
    {
        var k = TestKernels.Boot();
        var handles = new List<long>();
        long seventeenth = 0, afterUnexport = 0, otherProcess = 0;
        bool serverDone = false;
        k.Spawn("server", sys =>
        {
            for (int i = 0; i < 16; i++) handles.Add((long)Rpc.Export<IProbe>(new Probe()).Id);
            seventeenth = Try(() => Rpc.Export<IProbe>(new Probe()));
            Rpc.Unexport(new RpcHandle<IProbe>((ulong)handles[5]));
            afterUnexport = Try(() => Rpc.Export<IProbe>(new Probe()));
            serverDone = true;
            return 0;
        });
        k.Spawn("other", sys =>
        {
            while (!serverDone) sys.Yield();
            // The limit is per process: another process still exports.
            otherProcess = Try(() => Rpc.Export<IProbe>(new Probe()));
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        handles.ShouldBe(Enumerable.Range(1, 16).Select(i => (long)i));
        seventeenth.ShouldBe((long)ErrorCode.LimitReached);
        afterUnexport.ShouldBe(17, "handles are never reused: the withdrawn 6 stays unused");
        otherProcess.ShouldBe(18);
    }

    [Fact]
    public void An_unexported_object_is_gone_for_calls_lookups_and_a_second_unexport_and_its_name_is_free_again()
    {
        var k = TestKernels.Boot();
        var r = new Dictionary<string, long>();
        k.Spawn("server", sys =>
        {
            RpcHandle<IProbe> probe = Rpc.Export<IProbe>(new Probe(), "probe");
            r["before"] = Rpc.CallRaw(probe.Id, 2, 2, 40, 2);
            r["unexport"] = sys.Syscall(SyscallNumber.RpcUnexport, probe.Id);
            r["again"] = sys.Syscall(SyscallNumber.RpcUnexport, probe.Id);
            r["none"] = sys.Syscall(SyscallNumber.RpcUnexport, 99);
            r["zero"] = sys.Syscall(SyscallNumber.RpcUnexport, 0);
            r["call"] = Rpc.CallRaw(probe.Id, 2, 2, 40, 2);
            r["lookup"] = Rpc.TryLookup("probe");
            r["export again"] = (long)Rpc.Export<IProbe>(new Probe(), "probe").Id;
            r["lookup again"] = Rpc.TryLookup("probe");
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        r["before"].ShouldBe(42);
        r["unexport"].ShouldBe(0);
        r["again"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["none"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["zero"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["call"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["lookup"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["export again"].ShouldBe(2);
        r["lookup again"].ShouldBe(2);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_SHARED_buffer_of_64_MiB_is_asked_of_memory_and_one_byte_more_is_refused_outright(ProtectionModel model)
    {
        // 512 frames of RAM (2 MiB): the largest buffer passes the argument check and then finds no memory.
        var k = TestKernels.Boot(model);
        long largest = 0, over = 0, page = 0;
        k.Spawn("client", sys =>
        {
            largest = sys.Syscall(SyscallNumber.RpcShared, 64UL << 20);
            over = sys.Syscall(SyscallNumber.RpcShared, (64UL << 20) + 1);
            page = sys.Syscall(SyscallNumber.RpcShared, 1);
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        largest.ShouldBeOneOf((long)ErrorCode.OutOfMemory, (long)ErrorCode.NoMpuRegion);
        over.ShouldBe((long)ErrorCode.InvalidArgument);
        page.ShouldBeGreaterThan(0);
        k.ShouldBalance();
    }

    private static long Try(Func<RpcHandle<IProbe>> export)
    {
        try
        {
            return (long)export().Id;
        }
        catch (SyscallException e)
        {
            return (long)e.Error;
        }
    }
}
