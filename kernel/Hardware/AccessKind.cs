namespace MicroKernel.Hardware;

/// <summary>The kind of a memory access, as a protection unit sees it.</summary>
public enum AccessKind : byte
{
    /// <summary>A data load.</summary>
    Read,
    /// <summary>A data store.</summary>
    Write,
    /// <summary>An instruction fetch.</summary>
    Execute,
}
