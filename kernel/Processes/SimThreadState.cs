namespace MicroKernel.Processes;

/// <summary>The life of a simulated thread, as the scheduler sees it.</summary>
public enum SimThreadState : byte
{
    /// <summary>Made, never dispatched.</summary>
    Created,
    /// <summary>Runnable, waiting for the CPU.</summary>
    Ready,
    /// <summary>Holding the CPU (exactly one thread at a time).</summary>
    Running,
    /// <summary>Waiting for an event (a join, a message...).</summary>
    Blocked,
    /// <summary>Waiting for a virtual time.</summary>
    Sleeping,
    /// <summary>Finished; its host thread has returned or is returning.</summary>
    Exited,
}
