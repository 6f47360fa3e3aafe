namespace MicroKernel.Memory;

/// <summary>What a physical frame is used for at this moment.</summary>
public enum FrameUse : byte
{
    /// <summary>On the free list.</summary>
    Free,
    /// <summary>Owned by the kernel: page tables, kernel data, in-flight IPC buffers.</summary>
    Kernel,
    /// <summary>Mapped into one or more user address spaces (the reference count says how many mappings).</summary>
    User,
}
