using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Simulated RAM (<see cref="PhysicalMemory"/>): its size limits, the bounds of the raw 64-bit load and store at its
/// very end, the byte order they use, and the write generations a decoded-instruction cache reads to notice
/// self-modifying code (every write to a frame bumps that frame's, and no other). And the machine it is part of.
/// </summary>
public sealed class PhysicalMemoryTests
{
    [Fact]
    public void Ram_holds_sixteen_frames_at_least_and_what_one_array_can_at_most()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new PhysicalMemory(15));
        Should.Throw<ArgumentOutOfRangeException>(() => new PhysicalMemory(PhysicalMemory.MaxFrames + 1));
        PhysicalMemory.MaxFrames.ShouldBe(Array.MaxLength / PhysicalMemory.FrameSize);
        var ram = new PhysicalMemory(16);
        ram.FrameCount.ShouldBe(16);
        ram.Size.ShouldBe(16UL * 4096);
        ram.Frame(15).Length.ShouldBe(4096);
    }

    [Fact]
    public void The_last_eight_bytes_of_ram_load_and_store_and_one_byte_further_is_refused_by_name()
    {
        var ram = new PhysicalMemory(16);
        ulong last = ram.Size - 8;
        ram.WriteUInt64(last, 0x0102_0304_0506_0708);
        ram.ReadUInt64(last).ShouldBe(0x0102_0304_0506_0708UL);
        // Little-endian, as on x86-64: the lowest byte first.
        ram.Frame(15)[4088].ShouldBe((byte)0x08);
        ram.Frame(15)[4095].ShouldBe((byte)0x01);

        var load = Should.Throw<ArgumentOutOfRangeException>(() => ram.ReadUInt64(last + 1));
        load.Message.ShouldStartWith($"physical address 0x{last + 1:x} is beyond RAM");
        var store = Should.Throw<ArgumentOutOfRangeException>(() => ram.WriteUInt64(last + 1, 1));
        store.Message.ShouldStartWith($"physical address 0x{last + 1:x} is beyond RAM");
        Should.Throw<ArgumentOutOfRangeException>(() => ram.ReadUInt64(ulong.MaxValue));
        ram.Frame(15)[4095].ShouldBe((byte)0x01, "a refused store writes nothing");
    }

    [Fact]
    public void A_frame_or_slice_whose_address_does_not_fit_the_array_index_is_refused_not_wrapped()
    {
        var ram = new PhysicalMemory(16);
        // 2^20 + 1 frames in is 2^32 + 4096 bytes: cut to 32 bits it would be frame 1.
        Should.Throw<OverflowException>(() => ram.Frame((1UL << 20) + 1));
        Should.Throw<OverflowException>(() => ram.Slice((1UL << 32) + 4096, 16, forWrite: false));
    }

    [Fact]
    public void A_memory_fault_reads_as_reason_access_and_address()
    {
        new MemoryFault(0x7fff_1234, AccessKind.Write, FaultReason.ReadOnly).ToString().ShouldBe("ReadOnly on write at 0x7fff1234");
        new MemoryFault(0, AccessKind.Execute, FaultReason.NoExecute).ToString().ShouldBe("NoExecute on execute at 0x0");
    }

    [Fact]
    public void Every_write_to_a_frame_bumps_that_frames_generation_and_no_other()
    {
        var ram = new PhysicalMemory(16);
        uint[] before = Generations(ram);

        ram.WriteUInt64(3 * 4096 + 8, 42);
        Changed(ram, before).ShouldBe([3UL]);

        before = Generations(ram);
        ram.ZeroFrame(4);
        Changed(ram, before).ShouldBe([4UL]);

        before = Generations(ram);
        ram.Frame(5).Fill(7);
        ram.CopyFrame(5, 6);
        Changed(ram, before).ShouldBe([6UL], "a copy writes its destination only");
        ram.Frame(6)[100].ShouldBe((byte)7);

        // A writable slice bumps every frame it touches: here the last byte of 7 to the first of 9.
        before = Generations(ram);
        ram.Slice(8 * 4096 - 1, 4098, forWrite: true).Fill(1);
        Changed(ram, before).ShouldBe([7UL, 8UL, 9UL]);

        // A slice that ends on the last byte of a frame bumps no frame after it.
        before = Generations(ram);
        ram.Slice(13 * 4096, 4096, forWrite: true)[4095] = 1;
        Changed(ram, before).ShouldBe([13UL]);

        // A slice to read, or an empty one, bumps nothing.
        before = Generations(ram);
        ram.Slice(10 * 4096, 4096, forWrite: false).Length.ShouldBe(4096);
        ram.Slice(11 * 4096, 0, forWrite: true).Length.ShouldBe(0);
        ram.Slice(0, 0, forWrite: true).Length.ShouldBe(0); // at address 0 "the last byte" would be 2^64 - 1
        ram.ReadUInt64(12 * 4096);
        Changed(ram, before).ShouldBeEmpty();
    }

    [Fact]
    public void A_machine_has_ram_an_mmu_always_and_the_mpu_its_model_names()
    {
        var paging = new Machine(16);
        paging.Model.ShouldBe(ProtectionModel.Paging);
        paging.Memory.FrameCount.ShouldBe(16);
        paging.Mmu.ShouldNotBeNull();
        paging.Mpu.ShouldBeNull();

        var v7 = new Machine(16, ProtectionModel.ArmV7Mpu, mpuRegions: 8);
        v7.Mpu.ShouldBeOfType<ArmV7Mpu>();
        var v8 = new Machine(16, ProtectionModel.ArmV8Mpu, mpuRegions: 16);
        v8.Mpu.ShouldBeOfType<ArmV8Mpu>();
        v8.Mpu!.RegionCount.ShouldBe(16);
        // The MPU marks its region changes where the invariant checks look: the machine's RAM's change set.
        v8.Mpu.Changes.ShouldBeSameAs(v8.Memory.Changes);
        v7.Mpu.Changes.ShouldBeSameAs(v7.Memory.Changes);
    }

    private static uint[] Generations(PhysicalMemory ram) =>
        [.. Enumerable.Range(0, ram.FrameCount).Select(f => ram.WriteGeneration((ulong)f))];

    private static List<ulong> Changed(PhysicalMemory ram, uint[] before) =>
        [.. Enumerable.Range(0, ram.FrameCount).Where(f => ram.WriteGeneration((ulong)f) != before[f]).Select(f => (ulong)f)];
}
