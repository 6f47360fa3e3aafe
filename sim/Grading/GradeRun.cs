namespace MicroKernel.Sim.Grading;

/// <summary>One run of one test scenario under one scheduler and seed, as the grader saw it.</summary>
/// <param name="Test">The test's name (its file name without .scn), prefixed <c>hidden/</c> for a hidden test.</param>
/// <param name="Scheduler">The scheduling policy of the run.</param>
/// <param name="Seed">The seed of the run.</param>
/// <param name="Passed">True when the run completed and met every expectation (mk run's exit code 0).</param>
/// <param name="Why">Empty when passed; else what went wrong (failed expectations, outcome, timeout).</param>
public sealed record GradeRun(string Test, string Scheduler, ulong Seed, bool Passed, string Why);

/// <summary>A test's score: the share of its runs that passed, times its points.</summary>
/// <param name="Test">The test's name.</param>
/// <param name="Runs">Its runs, in order.</param>
/// <param name="Points">What the test is worth (1 unless its scenario says <c># points: N</c>).</param>
public sealed record GradeTest(string Test, IReadOnlyList<GradeRun> Runs, int Points)
{
    /// <summary>Runs that passed.</summary>
    public int Passed => Runs.Count(r => r.Passed);

    /// <summary>Points earned: <see cref="Points"/> times the share of runs passed.</summary>
    public double Score => Runs.Count == 0 ? 0 : Points * (double)Passed / Runs.Count;
}
