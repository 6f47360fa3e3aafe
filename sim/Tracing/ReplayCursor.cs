namespace MicroKernel.Sim.Tracing;

/// <summary>Where a replay stands in the recorded event stream (the <see cref="ReplayChecker"/> keeps it).</summary>
internal interface IReplayCursor
{
    /// <summary>Events the replaying kernel has emitted so far: the index of the next recorded event.</summary>
    long Position { get; }

    /// <summary>True once an event differed: from then on the recorded decisions no longer apply.</summary>
    bool Diverged { get; }
}
