namespace MicroKernel.Sim.Scenarios;

/// <summary>A malformed scenario: the message names the file, the line and the field.</summary>
public sealed class ScenarioException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/>:<paramref name="line"/>, field <paramref name="field"/>.</summary>
    public ScenarioException(string file, int line, string field, string problem)
        : base($"{file}:{line}: field '{field}': {problem}")
    {
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>The scenario file.</summary>
    public string File { get; }

    /// <summary>The 1-based line number (0 when the problem is the file as a whole).</summary>
    public int Line { get; }

    /// <summary>The directive or key at fault.</summary>
    public string Field { get; }
}
