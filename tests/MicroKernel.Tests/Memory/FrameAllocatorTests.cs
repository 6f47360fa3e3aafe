using CsCheck;
using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

public class FrameAllocatorTests
{
    private static (PhysicalMemory Memory, FrameAllocator Frames) New(int frameCount = 64, int reserved = 1)
    {
        var memory = new PhysicalMemory(frameCount);
        return (memory, new FrameAllocator(memory, reserved));
    }

    private static void ShouldBalance(FrameAllocator frames) => frames.CheckInvariants().ShouldBeEmpty();

    private static ulong Alloc(FrameAllocator frames, FrameUse use = FrameUse.User)
    {
        frames.TryAllocate(use, out ulong f).ShouldBeTrue();
        return f;
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(64, 1)]
    [InlineData(100, 4)]
    public void Fresh_allocator_has_reserved_kernel_frames_and_the_rest_free(int frameCount, int reserved)
    {
        var (_, frames) = New(frameCount, reserved);
        frames.TotalCount.ShouldBe(frameCount);
        frames.KernelCount.ShouldBe(reserved);
        frames.FreeCount.ShouldBe(frameCount - reserved);
        frames.UserCount.ShouldBe(0);
        frames.Allocations.ShouldBe(0);
        for (ulong f = 0; f < (ulong)frameCount; f++)
        {
            frames.UseOf(f).ShouldBe(f < (ulong)reserved ? FrameUse.Kernel : FrameUse.Free);
            frames.RefCount(f).ShouldBe(f < (ulong)reserved ? 1 : 0);
        }
        ShouldBalance(frames);
    }

    [Fact]
    public void Allocate_returns_the_lowest_free_frame_zeroed_with_one_reference()
    {
        var (memory, frames) = New();
        memory.Frame(1).Fill(0xAA);
        memory.Frame(2).Fill(0xBB);
        uint generation = memory.WriteGeneration(1);

        ulong f = Alloc(frames);

        f.ShouldBe(1UL);
        frames.UseOf(f).ShouldBe(FrameUse.User);
        frames.RefCount(f).ShouldBe(1);
        memory.Frame(f).ToArray().ShouldAllBe(b => b == 0);
        memory.WriteGeneration(f).ShouldNotBe(generation);
        memory.Frame(2)[0].ShouldBe((byte)0xBB, "only the allocated frame is zeroed");
        frames.FreeCount.ShouldBe(62);
        frames.UserCount.ShouldBe(1);
        frames.KernelCount.ShouldBe(1);
        frames.Allocations.ShouldBe(1);

        ulong k = Alloc(frames, FrameUse.Kernel);
        k.ShouldBe(2UL);
        frames.UseOf(k).ShouldBe(FrameUse.Kernel);
        frames.KernelCount.ShouldBe(2);
        memory.Frame(k).ToArray().ShouldAllBe(b => b == 0);
        ShouldBalance(frames);
    }

    [Fact]
    public void Allocating_a_frame_as_free_is_rejected()
    {
        var (_, frames) = New();
        Should.Throw<ArgumentException>(() => frames.TryAllocate(FrameUse.Free, out _));
        frames.FreeCount.ShouldBe(63);
        frames.Allocations.ShouldBe(0);
        ShouldBalance(frames);
    }

    [Fact]
    public void Release_returns_the_frame_to_the_free_list()
    {
        var (_, frames) = New();
        ulong f = Alloc(frames);
        frames.Release(f);
        frames.UseOf(f).ShouldBe(FrameUse.Free);
        frames.RefCount(f).ShouldBe(0);
        frames.FreeCount.ShouldBe(63);
        frames.UserCount.ShouldBe(0);
        ShouldBalance(frames);
    }

    [Fact]
    public void Allocation_is_lowest_free_first_even_after_frees_below_the_last_allocation()
    {
        var (_, frames) = New();
        for (int i = 1; i <= 10; i++) Alloc(frames).ShouldBe((ulong)i);
        frames.Release(7);
        frames.Release(3);

        Alloc(frames).ShouldBe(3UL);
        Alloc(frames).ShouldBe(7UL);
        Alloc(frames).ShouldBe(11UL);

        frames.Release(1);
        Alloc(frames, FrameUse.Kernel).ShouldBe(1UL);
        ShouldBalance(frames);
    }

    [Fact]
    public void Same_operations_give_the_same_frames()
    {
        static List<ulong> Run()
        {
            var (_, frames) = New();
            var got = new List<ulong>();
            for (int i = 0; i < 20; i++) got.Add(Alloc(frames));
            foreach (ulong f in got.Where(f => f % 3 == 0).ToList()) frames.Release(f);
            for (int i = 0; i < 10; i++) got.Add(Alloc(frames));
            frames.TryAllocateContiguous(4, 4, FrameUse.User, out ulong c).ShouldBeTrue();
            got.Add(c);
            return got;
        }

        Run().ShouldBe(Run());
    }

    [Fact]
    public void AddRef_keeps_the_frame_until_the_last_reference_is_released()
    {
        var (_, frames) = New();
        ulong f = Alloc(frames);
        frames.AddRef(f);
        frames.AddRef(f);
        frames.RefCount(f).ShouldBe(3);
        frames.UserCount.ShouldBe(1, "a shared frame is still one frame");
        ShouldBalance(frames);

        frames.Release(f);
        frames.Release(f);
        frames.UseOf(f).ShouldBe(FrameUse.User);
        frames.RefCount(f).ShouldBe(1);
        frames.FreeCount.ShouldBe(62);
        ShouldBalance(frames);

        frames.Release(f);
        frames.UseOf(f).ShouldBe(FrameUse.Free);
        frames.FreeCount.ShouldBe(63);
        ShouldBalance(frames);
    }

    [Fact]
    public void AddRef_of_a_free_frame_throws_and_changes_nothing()
    {
        var (_, frames) = New();
        Should.Throw<InvalidOperationException>(() => frames.AddRef(5));
        frames.RefCount(5).ShouldBe(0);
        frames.UseOf(5).ShouldBe(FrameUse.Free);
        ShouldBalance(frames);
    }

    [Fact]
    public void Double_free_throws_and_leaves_the_books_balanced()
    {
        var (_, frames) = New();
        ulong f = Alloc(frames);
        ulong g = Alloc(frames);
        frames.Release(f);

        Should.Throw<InvalidOperationException>(() => frames.Release(f)).Message.ShouldContain("double free");
        frames.FreeCount.ShouldBe(62);
        frames.UserCount.ShouldBe(1);
        frames.RefCount(g).ShouldBe(1);
        ShouldBalance(frames);

        // A frame that was never allocated cannot be released either.
        Should.Throw<InvalidOperationException>(() => frames.Release(40));
        ShouldBalance(frames);
    }

    [Fact]
    public void Exhaustion_returns_false_and_a_released_frame_can_be_had_again()
    {
        var (_, frames) = New(16);
        var got = new List<ulong>();
        while (frames.TryAllocate(FrameUse.User, out ulong f)) got.Add(f);

        got.ShouldBe(Enumerable.Range(1, 15).Select(i => (ulong)i));
        frames.FreeCount.ShouldBe(0);
        frames.TryAllocate(FrameUse.Kernel, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(1, 1, FrameUse.User, out _).ShouldBeFalse();
        frames.Allocations.ShouldBe(15);
        ShouldBalance(frames);

        frames.Release(9);
        Alloc(frames).ShouldBe(9UL);
        frames.TryAllocate(FrameUse.User, out _).ShouldBeFalse();
        ShouldBalance(frames);
    }

    [Fact]
    public void Contiguous_allocation_is_aligned_zeroed_and_lowest_first()
    {
        var (memory, frames) = New();
        for (ulong f = 0; f < 64; f++) memory.Frame(f)[100] = 0x5A;

        frames.TryAllocateContiguous(4, 4, FrameUse.User, out ulong a).ShouldBeTrue();
        a.ShouldBe(4UL, "frame 0 is the kernel's, so the first 4-aligned free run starts at 4");
        for (ulong f = a; f < a + 4; f++)
        {
            frames.UseOf(f).ShouldBe(FrameUse.User);
            frames.RefCount(f).ShouldBe(1);
            memory.Frame(f)[100].ShouldBe((byte)0);
        }
        frames.Allocations.ShouldBe(4);

        frames.TryAllocateContiguous(4, 4, FrameUse.User, out ulong b).ShouldBeTrue();
        b.ShouldBe(8UL);

        // Single frames fill the hole below the aligned block.
        Alloc(frames).ShouldBe(1UL);
        Alloc(frames).ShouldBe(2UL);
        Alloc(frames).ShouldBe(3UL);

        frames.TryAllocateContiguous(3, 1, FrameUse.Kernel, out ulong c).ShouldBeTrue();
        c.ShouldBe(12UL);
        frames.UseOf(14).ShouldBe(FrameUse.Kernel);
        frames.UseOf(15).ShouldBe(FrameUse.Free);

        frames.TryAllocateContiguous(8, 8, FrameUse.User, out ulong d).ShouldBeTrue();
        d.ShouldBe(16UL);
        (d % 8).ShouldBe(0UL);
        frames.TryAllocateContiguous(16, 16, FrameUse.User, out ulong e).ShouldBeTrue();
        e.ShouldBe(32UL);
        frames.FreeCount.ShouldBe(64 - 1 - 4 - 4 - 3 - 3 - 8 - 16);
        ShouldBalance(frames);
    }

    [Fact]
    public void Contiguous_allocation_fails_without_a_suitable_run_and_changes_nothing()
    {
        var (_, frames) = New();
        // Take every frame, then free every other one: plenty free, but no two adjacent.
        var all = new List<ulong>();
        while (frames.TryAllocate(FrameUse.User, out ulong f)) all.Add(f);
        foreach (ulong f in all.Where(f => f % 2 == 0)) frames.Release(f);
        int free = frames.FreeCount;
        long allocations = frames.Allocations;
        free.ShouldBe(31);

        frames.TryAllocateContiguous(2, 1, FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(1, 4, FrameUse.User, out ulong single).ShouldBeTrue();
        single.ShouldBe(4UL, "runs start at a multiple of the alignment: 0 is the kernel's, 4 is the first free one");
        frames.Release(single);

        frames.TryAllocateContiguous(0, 1, FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(1, 0, FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(-1, 1, FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(free + 1, 1, FrameUse.User, out _).ShouldBeFalse();

        frames.FreeCount.ShouldBe(free);
        frames.Allocations.ShouldBe(allocations + 1);
        ShouldBalance(frames);
    }

    [Fact]
    public void A_frames_rule_makes_allocations_fail_without_side_effects()
    {
        var (_, frames) = New();
        frames.Injector = new FaultInjector(new FaultPlan([new FramesFaultRule(1, Count: 3)]), 1, null);
        frames.TryAllocate(FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateContiguous(2, 2, FrameUse.User, out _).ShouldBeFalse();
        frames.TryAllocateAt(5, 1, FrameUse.User).ShouldBeFalse();
        frames.FreeCount.ShouldBe(63);
        frames.Allocations.ShouldBe(0);
        ShouldBalance(frames);

        // Fail exactly the third request.
        var injector = new FaultInjector(new FaultPlan([new FramesFaultRule(3)]), 1, null);
        frames.Injector = injector;
        Alloc(frames).ShouldBe(1UL);
        Alloc(frames).ShouldBe(2UL);
        frames.TryAllocate(FrameUse.User, out _).ShouldBeFalse();
        Alloc(frames).ShouldBe(3UL, "the failed request took no frame");
        injector.Injections.ShouldBe(1);

        frames.Injector = null;
        Alloc(frames).ShouldBe(4UL);
        frames.UserCount.ShouldBe(4);
        ShouldBalance(frames);
    }

    [Fact]
    public void Retag_moves_a_frame_between_kernel_and_user_counts()
    {
        var (_, frames) = New();
        ulong f = Alloc(frames);
        frames.Retag(f, FrameUse.Kernel);
        frames.UseOf(f).ShouldBe(FrameUse.Kernel);
        frames.KernelCount.ShouldBe(2);
        frames.UserCount.ShouldBe(0);
        frames.RefCount(f).ShouldBe(1);
        ShouldBalance(frames);

        Should.Throw<InvalidOperationException>(() => frames.Retag(f, FrameUse.Free));
        Should.Throw<InvalidOperationException>(() => frames.Retag(30, FrameUse.User));
        frames.UseOf(30).ShouldBe(FrameUse.Free);
        ShouldBalance(frames);

        frames.Retag(f, FrameUse.User);
        frames.Release(f);
        frames.KernelCount.ShouldBe(1);
        frames.UserCount.ShouldBe(0);
        frames.FreeCount.ShouldBe(63);
        ShouldBalance(frames);
    }

    private enum Op { Alloc, AllocKernel, Contiguous, AddRef, Release, Retag }

    /// <summary>
    /// Random sequences of every operation against a simple model (use and references per frame; allocation
    /// takes the lowest free frame, or the lowest aligned free run). After every step the allocator agrees with
    /// the model and its own invariant check is empty; at the end, releasing everything frees every frame.
    /// </summary>
    [Fact]
    public void Random_operation_sequences_keep_the_books_balanced()
    {
        const int FrameCount = 48;
        Gen.Select(Gen.Enum<Op>(), Gen.Int[0, 1000], Gen.Int[1, 4], Gen.Int[0, 2].Select(i => 1 << i)).Array[1, 250]
            .Sample(ops =>
            {
                var (memory, frames) = New(FrameCount);
                var use = new FrameUse[FrameCount];
                var refs = new int[FrameCount];
                use[0] = FrameUse.Kernel;
                refs[0] = 1;
                var held = new List<ulong>(); // one entry per reference the test holds (frame 0 excluded)

                int LowestRun(int count, int align)
                {
                    for (int f = 0; f + count <= FrameCount; f += align)
                        if (Enumerable.Range(f, count).All(i => use[i] == FrameUse.Free)) return f;
                    return -1;
                }

                void Took(ulong f, FrameUse u)
                {
                    use[f].ShouldBe(FrameUse.Free);
                    memory.Frame(f).ToArray().ShouldAllBe(b => b == 0, $"frame {f} was not zeroed");
                    memory.Frame(f).Fill(0xCD); // a later owner must never see this
                    use[f] = u;
                    refs[f] = 1;
                    held.Add(f);
                }

                foreach (var (op, pick, count, align) in ops)
                {
                    switch (op)
                    {
                        case Op.Alloc or Op.AllocKernel:
                        {
                            FrameUse u = op == Op.Alloc ? FrameUse.User : FrameUse.Kernel;
                            int expected = LowestRun(1, 1);
                            bool ok = frames.TryAllocate(u, out ulong f);
                            ok.ShouldBe(expected >= 0);
                            if (!ok) break;
                            f.ShouldBe((ulong)expected, "lowest free frame first");
                            Took(f, u);
                            break;
                        }
                        case Op.Contiguous:
                        {
                            int expected = LowestRun(count, align);
                            bool ok = frames.TryAllocateContiguous(count, align, FrameUse.User, out ulong first);
                            ok.ShouldBe(expected >= 0);
                            if (!ok) break;
                            first.ShouldBe((ulong)expected);
                            for (ulong i = 0; i < (ulong)count; i++) Took(first + i, FrameUse.User);
                            break;
                        }
                        case Op.AddRef when held.Count > 0:
                        {
                            ulong f = held[pick % held.Count];
                            frames.AddRef(f);
                            refs[f]++;
                            held.Add(f);
                            break;
                        }
                        case Op.Release when held.Count > 0:
                        {
                            int i = pick % held.Count;
                            ulong f = held[i];
                            held.RemoveAt(i);
                            frames.Release(f);
                            if (--refs[f] == 0) use[f] = FrameUse.Free;
                            break;
                        }
                        case Op.Retag when held.Count > 0:
                        {
                            ulong f = held[pick % held.Count];
                            FrameUse u = use[f] == FrameUse.User ? FrameUse.Kernel : FrameUse.User;
                            frames.Retag(f, u);
                            use[f] = u;
                            break;
                        }
                    }

                    frames.CheckInvariants().ShouldBeEmpty();
                    frames.FreeCount.ShouldBe(use.Count(u => u == FrameUse.Free));
                    frames.KernelCount.ShouldBe(use.Count(u => u == FrameUse.Kernel));
                    frames.UserCount.ShouldBe(use.Count(u => u == FrameUse.User));
                    for (ulong f = 0; f < FrameCount; f++)
                    {
                        frames.UseOf(f).ShouldBe(use[f]);
                        frames.RefCount(f).ShouldBe(refs[f]);
                    }
                }

                foreach (ulong f in held) frames.Release(f);
                frames.CheckInvariants().ShouldBeEmpty();
                frames.FreeCount.ShouldBe(FrameCount - 1);
                frames.UserCount.ShouldBe(0);
                frames.KernelCount.ShouldBe(1);
            });
    }
}
