using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// The random policy's generator is SplitMix64 as published (Steele, Lea and Flood; Vigna's reference C code): a seed
/// must give the reference sequence, or recorded random schedules would not replay.
/// </summary>
public class SplitMix64Tests
{
    [Fact]
    public void Seed_zero_gives_the_reference_sequence()
    {
        var g = new SplitMix64(0);
        g.Next().ShouldBe(0xE220A8397B1DCDAFUL);
        g.Next().ShouldBe(0x6E789E6AA1B965F4UL);
        g.Next().ShouldBe(0x06C45D188009454FUL);
    }

    [Fact]
    public void Another_seed_gives_its_own_reference_sequence()
    {
        var g = new SplitMix64(42);
        g.Next().ShouldBe(0xBDD732262FEB6E95UL);
        g.Next().ShouldBe(0x28EFE333B266F103UL);
        g.Next().ShouldBe(0x47526757130F9F52UL);
    }

    [Fact]
    public void NextInt_is_the_next_value_modulo_the_bound()
    {
        var g = new SplitMix64(42);
        int[] draws = [.. Enumerable.Range(0, 8).Select(_ => g.NextInt(10))];
        draws.ShouldBe([3, 1, 8, 4, 0, 2, 5, 8]);
    }

    [Fact]
    public void NextInt_with_a_bound_of_one_is_always_zero()
    {
        var g = new SplitMix64(7);
        Enumerable.Range(0, 20).Select(_ => g.NextInt(1)).ShouldAllBe(v => v == 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void NextInt_refuses_an_empty_range(int bound)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new SplitMix64(1).NextInt(bound));
    }
}
