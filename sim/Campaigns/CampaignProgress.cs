using System.Diagnostics;
using Spectre.Console;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Shows a campaign's progress while it runs: runs done of total, runs per second, failures so far and the time left.
/// It is the one place a campaign looks at the wall clock, and it writes only to the terminal or to stderr: the
/// summary on stdout stays the same bytes on every machine.
/// </summary>
public abstract class CampaignProgress
{
    /// <summary>Shows nothing (tests, merges).</summary>
    public static CampaignProgress None { get; } = new Silent();

    /// <summary>
    /// Runs <paramref name="work"/>, which calls the action it is given once per finished run (true when the run
    /// failed), from any thread, <paramref name="total"/> times in all.
    /// </summary>
    public abstract void Run(string phase, long total, Action<Action<bool>> work);

    /// <summary>A line of text about what happens next (shrinking, writing files).</summary>
    public abstract void Say(string line);

    private sealed class Silent : CampaignProgress
    {
        public override void Run(string phase, long total, Action<Action<bool>> work) => work(_ => { });

        public override void Say(string line)
        {
        }
    }
}

/// <summary>
/// Plain progress lines on a writer (stderr) for logs: one about every tenth of the runs and one at the end, e.g.
/// <c>campaign: runs 500/1000, 3 failed, 812 runs/s, about 1 s left</c>.
/// </summary>
public sealed class LineProgress(TextWriter writer) : CampaignProgress
{
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public override void Run(string phase, long total, Action<Action<bool>> work)
    {
        long done = 0, failed = 0, step = Math.Max(1, total / 10);
        var clock = Stopwatch.StartNew();
        work(fail =>
        {
            lock (_lock)
            {
                done++;
                if (fail) failed++;
                if (done % step == 0 || done == total) writer.WriteLine(Line(phase, done, total, failed, clock.Elapsed.TotalSeconds));
            }
        });
        if (total == 0) writer.WriteLine(Line(phase, 0, 0, 0, 0));
    }

    /// <inheritdoc />
    public override void Say(string line)
    {
        lock (_lock) writer.WriteLine($"campaign: {line}");
    }

    internal static string Line(string phase, long done, long total, long failed, double seconds)
    {
        double rate = seconds > 0 ? done / seconds : 0;
        string left = rate > 0 ? string.Create(CultureInfo.InvariantCulture, $", about {(total - done) / rate:0.0} s left") : "";
        return string.Create(CultureInfo.InvariantCulture, $"campaign: {phase} {done}/{total}, {failed} failed, {rate:0} runs/s{left}");
    }
}

/// <summary>A Spectre.Console progress bar, when stdout is a terminal.</summary>
public sealed class BarProgress(IAnsiConsole console) : CampaignProgress
{
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public override void Run(string phase, long total, Action<Action<bool>> work)
    {
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total));
                long done = 0, failed = 0;
                var clock = Stopwatch.StartNew();
                work(fail =>
                {
                    lock (_lock)
                    {
                        done++;
                        if (fail) failed++;
                        double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{phase} {done}/{total}, {failed} failed, {rate:0} runs/s"));
                        task.Increment(1);
                    }
                });
                task.Value = task.MaxValue;
            });
    }

    /// <inheritdoc />
    public override void Say(string line) => console.MarkupLine(Markup.Escape($"campaign: {line}"));
}
