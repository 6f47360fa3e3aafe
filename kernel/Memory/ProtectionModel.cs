namespace MicroKernel.Memory;

/// <summary>How the machine protects user memory: translation by page tables, or an MPU without translation.</summary>
public enum ProtectionModel
{
    /// <summary>x86-64 4-level paging with an MMU and TLB.</summary>
    Paging,
    /// <summary>ARMv7-M PMSA: power-of-two regions with sub-regions; the highest-numbered match wins.</summary>
    ArmV7Mpu,
    /// <summary>ARMv8-M PMSA: base/limit regions at 32-byte granularity; overlaps fault.</summary>
    ArmV8Mpu,
}
