using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

public class RpcMpuTests
{
    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_grant_takes_callee_plus_SHARED_regions_and_fails_with_NoMpuRegion_when_they_run_out(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var results = new List<long>();
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");     // the export's scratch page: region 1
            for (int i = 0; i < 4; i++) sys.Map(4096);    // regions 2..5
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            var probe = new RpcHandle<IProbe>((ulong)h);
            sys.Sleep(10);
            for (int i = 0; i < 4; i++)
            {
                ulong shared = Rpc.Shared(4096);
                sys.Memory.WriteUInt64(shared, (ulong)i);
                results.Add(Rpc.TryCall(probe, s => s.Peek(shared)));
            }
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        // 5 callee regions + 1, 2, 3 SHARED ones fit the 8 regions; a fourth does not.
        results.ShouldBe([0, 1, 2, (long)ErrorCode.NoMpuRegion]);
        log.Events.Where(e => e.Kind == EventKind.RpcEnter).Select(e => (int)e.A3).ShouldBe([6, 7, 8]);
        k.RpcStats.MaxMpuRegions.ShouldBe(8);
        k.RpcStats.RegionRefusals.ShouldBe(1);
        k.RpcStats.LastRegionsNeeded.ShouldBe(9);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void While_a_grant_is_loaded_the_callee_cannot_map_past_the_regions_left()
    {
        var k = TestKernels.Boot(ProtectionModel.ArmV7Mpu);
        var maps = new List<long>();
        k.Spawn("server", sys =>
        {
            Rpc.Export<IMapper>(new Mapper(maps), "mapper");   // scratch: 1 region
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("mapper")) < 0) sys.Yield();
            for (int i = 0; i < 2; i++) Rpc.Shared(4096);
            // 1 callee region + 2 SHARED: the callee may map 5 more during the call, not 6.
            return Rpc.Call(new RpcHandle<IMapper>((ulong)h), m => m.MapMany(6));
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        maps.Count.ShouldBe(6);
        maps.Take(5).ShouldAllBe(m => m > 0);
        maps[5].ShouldBe((long)ErrorCode.NoMpuRegion);
        k.ShouldBalance();
    }

    [Fact]
    public void Paging_memory_the_callee_maps_in_a_new_top_level_slot_during_the_call_is_visible_through_the_grant()
    {
        var k = TestKernels.Boot();
        long got = 0;
        k.Spawn("server", sys =>
        {
            Rpc.Export<IMapper>(new Mapper([]), "mapper");
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("mapper")) < 0) sys.Yield();
            // PML4 slot 3: the callee's table gets a new top-level entry while the grant is loaded.
            got = Rpc.Call(new RpcHandle<IMapper>((ulong)h), m => m.MapAt(0x0000_0180_0000_0000));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        got.ShouldBe(0xABC);
        r.Processes.Single(p => p.Name == "server").Faults.ShouldBeEmpty();
        k.ShouldBalance();
    }
}

/// <summary>A service that maps memory in its own process during a call.</summary>
public interface IMapper
{
    /// <summary>Maps <paramref name="n"/> pages one by one, writing each; returns how many worked.</summary>
    long MapMany(long n);

    /// <summary>Maps a page at <paramref name="address"/>, writes and reads it back.</summary>
    long MapAt(ulong address);
}

internal sealed class Mapper(List<long> results) : IMapper
{
    public long MapMany(long n)
    {
        Sys sys = Rpc.Sys;
        long ok = 0;
        for (int i = 0; i < n; i++)
        {
            long r = sys.Syscall(SyscallNumber.Map, 0, 4096, (ulong)Protection.ReadWrite);
            results.Add(r);
            if (r < 0) continue;
            // The new region is usable at once, through the loaded grant.
            sys.Memory.WriteUInt64((ulong)r, 1);
            ok++;
        }
        return ok;
    }

    public long MapAt(ulong address)
    {
        Sys sys = Rpc.Sys;
        sys.Map(4096, address: address);
        sys.Memory.WriteUInt64(address, 0xABC);
        return (long)sys.Memory.ReadUInt64(address);
    }
}
