namespace MicroKernel.Processes;

/// <summary>What the kernel does to a process whose thread faults.</summary>
public enum FaultPolicy : byte
{
    /// <summary>Kill the whole process (the default); its memory is freed and the rest of the system goes on.</summary>
    Kill,
    /// <summary>
    /// Kill it, then start it again from its entry point with fresh memory, as a Hubris supervisor would, up to
    /// <see cref="Process.MaxRestarts"/> times; then kill.
    /// </summary>
    Restart,
}
