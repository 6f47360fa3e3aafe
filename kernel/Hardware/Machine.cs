using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;

namespace MicroKernel.Hardware;

/// <summary>
/// The simulated hardware: RAM and the protection unit user code runs under (an MMU with page tables, or an MPU).
/// One CPU: exactly one simulated thread runs at a time, so one MMU/MPU serves everybody.
/// </summary>
public sealed class Machine
{
    /// <summary>Builds a machine with <paramref name="frameCount"/> frames under <paramref name="model"/>.</summary>
    /// <param name="frameCount">RAM size in 4 KiB frames.</param>
    /// <param name="model">Paging, or one of the two MPU models.</param>
    /// <param name="mpuRegions">Regions of the MPU (8 or 16); ignored under paging.</param>
    /// <param name="tlbSize">TLB entries (a power of two); ignored under an MPU.</param>
    public Machine(int frameCount, ProtectionModel model = ProtectionModel.Paging, int mpuRegions = 8, int tlbSize = 64)
    {
        Memory = new PhysicalMemory(frameCount);
        Model = model;
        Mmu = new Mmu(Memory, tlbSize);
        Mpu = model switch
        {
            ProtectionModel.ArmV7Mpu => new Mpu.ArmV7Mpu(mpuRegions) { Changes = Memory.Changes },
            ProtectionModel.ArmV8Mpu => new Mpu.ArmV8Mpu(mpuRegions) { Changes = Memory.Changes },
            _ => null,
        };
    }

    /// <summary>The RAM.</summary>
    public PhysicalMemory Memory { get; }

    /// <summary>Which protection unit user code runs under.</summary>
    public ProtectionModel Model { get; }

    /// <summary>The MMU (used under <see cref="ProtectionModel.Paging"/>).</summary>
    public Mmu Mmu { get; }

    /// <summary>The MPU, or null under paging.</summary>
    public Mpu.Mpu? Mpu { get; }

    /// <summary>The address space whose regions the MPU holds now (the MPU's equivalent of CR3).</summary>
    internal object? MpuOwner { get; set; }
}
