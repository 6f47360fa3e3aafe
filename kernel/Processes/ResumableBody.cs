namespace MicroKernel.Processes;

/// <summary>
/// The body of a thread that has no host thread of its own (an <em>inline</em> thread, docs/architecture.md, "Threads
/// without host threads"): a resumable step function that whichever host thread holds the CPU runs. Between two steps
/// the thread's whole state lives in this object (an x86 thread's registers), so a switch between two inline threads at
/// a scheduling point of their own code is a state swap on one host thread, with no handoff between host threads.
/// An image offers one through <see cref="ProgramImage.CreateResumableBody"/>; C# programs do not (their state is a
/// host stack) and keep their host threads.
/// </summary>
public abstract class ResumableBody
{
    /// <summary>
    /// Runs the thread from where its last step stopped (its entry, the first time) until it returns (true, with its
    /// exit code) or gives up the CPU at a suspension point (false: <see cref="SimThread.SuspendableInstructionPoint"/>
    /// returned false, and the step returns at once without touching the kernel). Kernel unwinding
    /// (<see cref="ThreadTerminatedException"/>) and faults pass through it as from a host-threaded body.
    /// </summary>
    public abstract bool Step(SimThread thread, out long exitCode);

    /// <summary>Called once when the thread has ended, however it ended (returned, killed, faulted): drop its state.</summary>
    public virtual void Ended(SimThread thread)
    {
    }
}
