namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Which slice of a campaign's runs this process runs: shard <see cref="Index"/> (1-based) of <see cref="Count"/>. Run
/// number r (0-based, in campaign order) belongs to shard <c>r mod Count + 1</c>, so the slices are disjoint, cover
/// every run, and are the same on every machine. Given by <c>--shard I/N</c> or by the cluster's environment.
/// </summary>
/// <param name="Index">This shard, 1..Count.</param>
/// <param name="Count">How many shards.</param>
public sealed record ShardSpec(int Index, int Count)
{
    /// <summary>The whole campaign: one shard.</summary>
    public static ShardSpec Whole { get; } = new(1, 1);

    /// <summary>True when run <paramref name="run"/> (0-based) belongs to this shard.</summary>
    public bool Owns(long run) => run % Count == Index - 1;

    /// <summary>The canonical text, <c>I/N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>Reads <c>I/N</c> (1 &lt;= I &lt;= N); null and a message in <paramref name="problem"/> when malformed.</summary>
    public static ShardSpec? Parse(string text, out string problem)
    {
        problem = "";
        string[] parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && i >= 1 && i <= n)
            return new ShardSpec(i, n);
        problem = $"--shard: expected I/N with 1 <= I <= N (e.g. 2/8), got '{text}'";
        return null;
    }

    /// <summary>
    /// The shard a cluster's environment gives when <c>--shard</c> is absent: a Kubernetes indexed Job
    /// (<c>JOB_COMPLETION_INDEX</c>, 0-based; the count from <paramref name="shardCount"/> or <c>MK_SHARDS</c>) or a
    /// Slurm job array (<c>SLURM_ARRAY_TASK_ID</c> and <c>SLURM_ARRAY_TASK_COUNT</c>; the task ids are taken as
    /// 0..COUNT-1 or 1..COUNT, see docs/campaigns.md). <see cref="Whole"/> when neither is set; null and a message
    /// when one is set but incomplete or out of range.
    /// </summary>
    public static ShardSpec? FromEnvironment(Func<string, string?> environment, int? shardCount, out string problem)
    {
        problem = "";
        if (environment("JOB_COMPLETION_INDEX") is { } k8s)
        {
            string? countText = shardCount?.ToString(CultureInfo.InvariantCulture) ?? environment("MK_SHARDS");
            if (countText is null)
            {
                problem = "JOB_COMPLETION_INDEX is set (a Kubernetes indexed Job) but the shard count is not: give --shard-count N or set MK_SHARDS";
                return null;
            }
            return Checked("JOB_COMPLETION_INDEX", k8s, countText, zeroBased: true, out problem);
        }
        if (environment("SLURM_ARRAY_TASK_ID") is { } slurm)
        {
            string? countText = shardCount?.ToString(CultureInfo.InvariantCulture) ?? environment("SLURM_ARRAY_TASK_COUNT");
            if (countText is null)
            {
                problem = "SLURM_ARRAY_TASK_ID is set (a Slurm job array) but SLURM_ARRAY_TASK_COUNT is not: give --shard-count N";
                return null;
            }
            // sbatch --array=0-(N-1) gives ids 0..N-1; --array=1-N gives 1..N (SLURM_ARRAY_TASK_MIN says which).
            bool zeroBased = environment("SLURM_ARRAY_TASK_MIN") is not { } min || min == "0";
            return Checked("SLURM_ARRAY_TASK_ID", slurm, countText, zeroBased, out problem);
        }
        if (shardCount is not null)
        {
            problem = "--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment (or use --shard I/N)";
            return null;
        }
        return Whole;
    }

    private static ShardSpec? Checked(string variable, string indexText, string countText, bool zeroBased, out string problem)
    {
        problem = "";
        if (int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count >= 1)
        {
            int i = zeroBased ? index + 1 : index;
            if (i >= 1 && i <= count) return new ShardSpec(i, count);
        }
        problem = $"{variable}={indexText} with a shard count of {countText}: expected an index {(zeroBased ? "0..N-1" : "1..N")} and N >= 1";
        return null;
    }
}
