using System.Reflection;
using MicroKernel.Ipc.Rpc;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The split between what a thread's accesses go through (<see cref="MemoryView"/>) and what owns mappings
/// (<see cref="AddressSpace"/>), and the questions IPC and program loaders ask a space instead of testing its type:
/// region budget, sharing with itself, grant creation, SHARED buffer placement, stack placement, map-refusal advice.
/// </summary>
public sealed class MemoryViewTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private readonly List<MemoryRig> _rigs = [];

    public static TheoryData<ProtectionModel> MpuModels => new() { ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging, int frames = 256, int mpuRegions = 8)
    {
        var rig = new MemoryRig(model, frames, mpuRegions);
        _rigs.Add(rig);
        return rig;
    }

    // After every test: the books balance, and destroying the spaces returns every frame.
    public void Dispose()
    {
        foreach (MemoryRig rig in _rigs) rig.DestroyAllAndCheck();
    }

    // ---------------------------------------------------------------- the split, as a type-level fact

    [Fact]
    public void A_grant_is_a_memory_view_with_no_mapping_operations()
    {
        typeof(AddressSpace).IsSubclassOf(typeof(MemoryView)).ShouldBeTrue();
        typeof(GrantSpace).IsSubclassOf(typeof(MemoryView)).ShouldBeTrue();
        typeof(GrantSpace).IsAssignableTo(typeof(AddressSpace)).ShouldBeFalse();
        string[] mapping = ["Map", "Unmap", "Protect", "MapShared", "CheckSendRange", "DetachPages", "ReferencePages",
            "DuplicatePages", "AttachPages", "ReleaseRun", "Destroy", "UserFrames", "CanTakeRegions", "TryCreateGrant"];
        foreach (Type grant in new[] { typeof(GrantSpace), typeof(PagedGrantSpace), typeof(MpuGrantSpace) })
        {
            var methods = grant.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
            foreach (string name in mapping) methods.ShouldNotContain(name, $"{grant.Name} should not offer {name}");
        }
    }

    [Fact]
    public void Threads_and_call_frames_hold_views_not_address_spaces()
    {
        typeof(SimThread).GetProperty(nameof(SimThread.Space))!.PropertyType.ShouldBe(typeof(MemoryView));
        typeof(CallFrame).GetProperty(nameof(CallFrame.PreviousSpace))!.PropertyType.ShouldBe(typeof(MemoryView));
        typeof(Process).GetProperty(nameof(Process.AddressSpace))!.PropertyType.ShouldBe(typeof(AddressSpace));
    }

    // ---------------------------------------------------------------- region budget

    [Fact]
    public void Paging_can_always_take_more_areas()
    {
        AddressSpace s = Rig().NewSpace();
        for (int i = 0; i < 20; i++) s.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        s.CanTakeRegions(0).ShouldBeTrue();
        s.CanTakeRegions(1).ShouldBeTrue();
        s.CanTakeRegions(1 << 20).ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void An_MPU_space_answers_from_its_region_budget(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.CanTakeRegions(8).ShouldBeTrue();
        s.CanTakeRegions(9).ShouldBeFalse();
        for (int i = 0; i < 3; i++) s.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        s.CanTakeRegions(5).ShouldBeTrue();
        s.CanTakeRegions(6).ShouldBeFalse();
        // Regions kept back for RPC grants are not the space's to take.
        AddressSpace reserved = rig.NewSpace(reservedRegions: 2);
        reserved.CanTakeRegions(6).ShouldBeTrue();
        reserved.CanTakeRegions(7).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void The_answer_matches_what_a_map_does_when_the_budget_runs_out(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        while (s.CanTakeRegions(1)) s.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        s.Areas.Count.ShouldBe(8);
        s.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.NoMpuRegion);
    }

    // ---------------------------------------------------------------- sharing with itself

    [Fact]
    public void Paging_can_map_its_own_frames_twice_and_an_MPU_cannot()
    {
        Rig().NewSpace().CanShareWithItself.ShouldBeTrue();
        Rig(ProtectionModel.ArmV7Mpu).NewSpace().CanShareWithItself.ShouldBeFalse();
        Rig(ProtectionModel.ArmV8Mpu).NewSpace().CanShareWithItself.ShouldBeFalse();
    }

    // ---------------------------------------------------------------- stack placement and advice

    [Fact]
    public void Under_paging_the_main_stack_goes_just_below_a_fixed_top()
    {
        AddressSpace s = Rig().NewSpace();
        s.MainStackAddress(64 * 1024).ShouldBe(PagedAddressSpace.MainStackTop - 64 * 1024);
        s.MainStackAddress(100).ShouldBe(PagedAddressSpace.MainStackTop - Page, "whole pages");
        s.Map(s.MainStackAddress(64 * 1024), 64 * 1024, Protection.ReadWrite, "stack", out ulong at).ShouldBe(ErrorCode.Ok);
        at.ShouldBe(PagedAddressSpace.MainStackTop - 64 * 1024);
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Under_an_MPU_the_kernel_picks_the_stack_block(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.MainStackAddress(64 * 1024).ShouldBe(0UL);
        s.Map(s.MainStackAddress(64 * 1024), 64 * 1024, Protection.ReadWrite, "stack", out ulong at).ShouldBe(ErrorCode.Ok);
        at.ShouldNotBe(0UL);
    }

    [Fact]
    public void ARMv7_M_explains_a_misaligned_block_and_the_other_models_leave_the_error_code_alone()
    {
        AddressSpace v7 = Rig(ProtectionModel.ArmV7Mpu).NewSpace();
        // Two pages make an 8 KiB region, which must start at a multiple of 0x2000.
        v7.Map(0x3000, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Misaligned);
        string? advice = v7.MapRefusalAdvice(0x3000, 2 * Page, ErrorCode.Misaligned);
        advice.ShouldNotBeNull();
        advice.ShouldContain("ARMv7-M");
        advice.ShouldContain("8 KiB region at a multiple of 0x2000");
        v7.MapRefusalAdvice(0x3000, 2 * Page, ErrorCode.OutOfMemory).ShouldBeNull();

        AddressSpace v8 = Rig(ProtectionModel.ArmV8Mpu).NewSpace();
        v8.Map(0x3000, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok, "base/limit regions need no alignment");
        v8.MapRefusalAdvice(0x3000, 2 * Page, ErrorCode.Misaligned).ShouldBeNull();
        Rig().NewSpace().MapRefusalAdvice(0x3000, 2 * Page, ErrorCode.Misaligned).ShouldBeNull();
    }

    // ---------------------------------------------------------------- SHARED buffers

    [Fact]
    public void Under_paging_SHARED_buffers_take_window_addresses_unique_across_spaces()
    {
        MemoryRig rig = Rig();
        AddressSpace a = rig.NewSpace(), b = rig.NewSpace();
        var window = new RpcWindow();
        a.MapShared(5000, window, out ulong first).ShouldBe(ErrorCode.Ok);
        first.ShouldBe(PagedAddressSpace.RpcWindowBase);
        b.MapShared(Page, window, out ulong second).ShouldBe(ErrorCode.Ok);
        second.ShouldBe(PagedAddressSpace.RpcWindowBase + 2 * Page, "the first buffer took two pages");
        window.Next.ShouldBe(PagedAddressSpace.RpcWindowBase + 3 * Page);
        a.SharedAreas.Single().Start.ShouldBe(first);
        b.SharedAreas.Single().Start.ShouldBe(second);
    }

    [Fact]
    public void A_full_window_refuses_with_OutOfMemory_and_changes_nothing()
    {
        AddressSpace s = Rig().NewSpace();
        var window = new RpcWindow();
        window.Take(PagedAddressSpace.RpcWindowTop - PagedAddressSpace.RpcWindowBase - Page);
        ulong before = window.Next;
        long generation = s.Generation;
        s.MapShared(2 * Page, window, out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);
        mapped.ShouldBe(0UL);
        window.Next.ShouldBe(before);
        s.Areas.ShouldBeEmpty();
        s.Generation.ShouldBe(generation);
        s.MapShared(Page, window, out _).ShouldBe(ErrorCode.Ok, "the last page still fits");
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Under_an_MPU_a_SHARED_buffer_is_a_block_of_its_own_and_the_window_is_untouched(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        var window = new RpcWindow();
        s.MapShared(Page, window, out ulong mapped).ShouldBe(ErrorCode.Ok);
        mapped.ShouldBeLessThan(PagedAddressSpace.RpcWindowBase);
        s.SharedAreas.Single().Start.ShouldBe(mapped);
        window.Next.ShouldBe(PagedAddressSpace.RpcWindowBase);
    }

    // ---------------------------------------------------------------- grants

    [Fact]
    public void A_paging_space_builds_a_paging_grant()
    {
        MemoryRig rig = Rig();
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? grant, out int regions).ShouldBe(ErrorCode.Ok);
        grant.ShouldBeOfType<PagedGrantSpace>();
        grant.Callee.ShouldBeSameAs(callee);
        grant.Caller.ShouldBeSameAs(caller);
        grant.SharedPages.ShouldBe(1);
        regions.ShouldBe(0);
        grant.Release();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void An_MPU_space_builds_an_MPU_grant_or_says_how_many_regions_it_would_need(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        for (int i = 0; i < 6; i++) callee.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? grant, out int regions).ShouldBe(ErrorCode.Ok);
        grant.ShouldBeOfType<MpuGrantSpace>();
        regions.ShouldBe(7);
        grant.MpuRegions.ShouldBe(7);
        grant.Release();

        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? none, out regions).ShouldBe(ErrorCode.NoMpuRegion);
        none.ShouldBeNull();
        regions.ShouldBe(9);
    }

    [Fact]
    public void A_grant_between_models_or_into_a_destroyed_space_is_refused()
    {
        AddressSpace paged = Rig().NewSpace();
        AddressSpace mpu = Rig(ProtectionModel.ArmV8Mpu).NewSpace();
        paged.TryCreateGrant(mpu, out GrantSpace? g1, out _).ShouldBe(ErrorCode.NotPermitted);
        g1.ShouldBeNull();
        mpu.TryCreateGrant(paged, out GrantSpace? g2, out _).ShouldBe(ErrorCode.NotPermitted);
        g2.ShouldBeNull();

        MemoryRig rig = Rig();
        AddressSpace dead = rig.NewSpace(), caller = rig.NewSpace();
        dead.Destroy();
        dead.TryCreateGrant(caller, out GrantSpace? g3, out _).ShouldBe(ErrorCode.BadAddress);
        g3.ShouldBeNull();
    }

    // ---------------------------------------------------------------- per-process IPC state

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_exited_process_leaves_no_handlers_handles_or_thread_codes_reachable(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        long joined = 0;
        k.Spawn("user", sys =>
        {
            sys.RegisterHandler(7, (_, _) => true);
            sys.NotifyCreate(null);
            int tid = sys.CreateThread((_, _) => 42);
            sys.Sleep(5);
            joined = sys.Join(tid);   // the thread is gone: its code comes from the process's table
            return 0;
        });
        long sent = 0;
        k.Spawn("sender", sys =>
        {
            sys.Sleep(50);
            ulong page = sys.Map(4096);
            sent = sys.Syscall(SyscallNumber.Send, 1, 7, page, 1, 0);
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        joined.ShouldBe(42);
        sent.ShouldBe((long)ErrorCode.ProcessExited);
        // The families' invariants fail if a dead process still had a table with them.
        k.ShouldBalance();
    }
}
