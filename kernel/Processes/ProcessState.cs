namespace MicroKernel.Processes;

/// <summary>The life of a process.</summary>
public enum ProcessState : byte
{
    /// <summary>Has at least one live thread.</summary>
    Running,
    /// <summary>Killed or exited; its threads are unwinding.</summary>
    Dying,
    /// <summary>Gone: every thread exited and its memory is freed.</summary>
    Exited,
}
