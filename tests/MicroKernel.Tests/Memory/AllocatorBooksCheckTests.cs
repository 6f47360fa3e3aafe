using System.Reflection;
using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The frame allocator's own check (<see cref="FrameAllocator.CheckInvariants"/>, the first half of the kernel's
/// frame-accounting invariant) against books that a stray write has corrupted. Its public operations always keep the
/// books balanced, so the only way to see each condition fire is to break the private ledger the way a memory-corruption
/// bug would: one entry at a time, so a condition that was lost (an <c>||</c> turned into <c>&amp;&amp;</c>, a
/// <c>&lt;=</c> into <c>&lt;</c>) fails a test instead of passing silently. Mutation testing found every one of these
/// unchecked.
/// </summary>
public class AllocatorBooksCheckTests
{
    private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;

    private static FrameAllocator New(int frameCount = 64) => new(new PhysicalMemory(frameCount), reservedFrames: 1);

    private static T[] Ledger<T>(FrameAllocator frames, string field) =>
        (T[])typeof(FrameAllocator).GetField(field, Private)!.GetValue(frames)!;

    private static void SetCounter(FrameAllocator frames, string counter, int value) =>
        typeof(FrameAllocator).GetProperty(counter)!.SetValue(frames, value);

    private static void SetFreeBit(FrameAllocator frames, int frame, bool free)
    {
        ulong[] bitmap = Ledger<ulong>(frames, "_freeBitmap");
        if (free) bitmap[frame >> 6] |= 1UL << (frame & 63);
        else bitmap[frame >> 6] &= ~(1UL << (frame & 63));
    }

    private static ulong Alloc(FrameAllocator frames, FrameUse use = FrameUse.User)
    {
        frames.TryAllocate(use, out ulong f).ShouldBeTrue();
        return f;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void A_free_frame_with_references_is_reported(int refs)
    {
        FrameAllocator frames = New();
        Ledger<int>(frames, "_refs")[5] = refs;
        frames.CheckInvariants().ShouldBe([$"frame 5 is free with {refs} references"]);
    }

    [Fact]
    public void A_free_frame_missing_from_the_free_list_is_reported()
    {
        FrameAllocator frames = New();
        SetFreeBit(frames, 36, free: false);
        frames.CheckInvariants().ShouldBe(["frame 36 is free but not on the free list"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_used_frame_without_references_is_reported_for_user_and_kernel_frames(int refs)
    {
        FrameAllocator frames = New();
        ulong user = Alloc(frames);
        Ledger<int>(frames, "_refs")[user] = refs;
        Ledger<int>(frames, "_refs")[0] = refs; // frame 0 is the kernel's from boot
        frames.CheckInvariants().ShouldBe([$"frame 0 is Kernel with {refs} references", $"frame {user} is User with {refs} references"]);
    }

    [Fact]
    public void A_used_frame_left_on_the_free_list_is_reported_for_user_and_kernel_frames()
    {
        FrameAllocator frames = New();
        ulong user = Alloc(frames);
        ulong kernel = Alloc(frames, FrameUse.Kernel);
        SetFreeBit(frames, (int)user, free: true);
        SetFreeBit(frames, (int)kernel, free: true);
        frames.CheckInvariants().ShouldBe([$"frame {user} is User but on the free list", $"frame {kernel} is Kernel but on the free list"]);
    }

    [Theory]
    [InlineData("FreeCount", "free=63 kernel=1 user=1")]
    [InlineData("KernelCount", "free=62 kernel=2 user=1")]
    [InlineData("UserCount", "free=62 kernel=1 user=2")]
    public void Each_counter_that_disagrees_with_the_frames_is_reported(string counter, string counters)
    {
        FrameAllocator frames = New();
        Alloc(frames);
        int value = (int)typeof(FrameAllocator).GetProperty(counter)!.GetValue(frames)!;
        SetCounter(frames, counter, value + 1);
        frames.CheckInvariants().ShouldBe([$"counters {counters} disagree with frames free=62 kernel=1 user=1"]);
    }

    [Fact]
    public void A_frame_of_a_use_the_books_do_not_know_breaks_the_total()
    {
        // The allocator refuses an undefined use (FrameUseRefusedTests), so only a stray write can store one.
        FrameAllocator frames = New();
        ulong f = Alloc(frames);
        Ledger<FrameUse>(frames, "_use")[f] = (FrameUse)7;
        frames.CheckInvariants().ShouldBe([
            "counters free=62 kernel=1 user=1 disagree with frames free=62 kernel=1 user=0",
            "free + kernel + user != total",
        ]);
        SetCounter(frames, "UserCount", 0);
        frames.CheckInvariants().ShouldBe(["free + kernel + user != total"], "the counters agree, the total still does not");
        Ledger<FrameUse>(frames, "_use")[f] = FrameUse.User;
        SetCounter(frames, "UserCount", 1);
        frames.CheckInvariants().ShouldBeEmpty("repaired, the books balance again");
    }

    [Fact]
    public void Every_problem_is_reported_not_only_the_first()
    {
        FrameAllocator frames = New(70); // two bitmap words, the second partly used
        ulong user = Alloc(frames);
        Ledger<int>(frames, "_refs")[66] = 4;
        SetFreeBit(frames, 65, free: false);
        SetFreeBit(frames, (int)user, free: true);
        frames.CheckInvariants().ShouldBe([
            $"frame {user} is User but on the free list",
            "frame 65 is free but not on the free list",
            "frame 66 is free with 4 references",
        ]);
    }
}
