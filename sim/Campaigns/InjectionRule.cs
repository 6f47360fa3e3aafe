using System.Text.RegularExpressions;
using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Turns one injection of a <c>random</c> rule (its Inject event's text, docs/faults.md) into the fixed rule that makes
/// the same injection at the same point: what a campaign shrinks over, and what a pasteable reproducer names.
/// </summary>
internal static partial class InjectionRule
{
    /// <summary>
    /// The fixed rule for the random injection described by <paramref name="text"/>; <paramref name="syscall"/> and
    /// <paramref name="nth"/> say which call of which syscall the injecting thread was in (the kth call of the run).
    /// Null when the text is not one a random rule writes.
    /// </summary>
    public static FaultRule? FromRandom(string text, string? syscall, long nth)
    {
        if (SyscallText().Match(text) is { Success: true } s)
            return syscall == s.Groups[1].Value && nth > 0 && Enum.TryParse(s.Groups[2].Value, out ErrorCode error)
                ? new SyscallFaultRule(syscall, nth, error) : null;
        if (FramesText().Match(text) is { Success: true } f) return new FramesFaultRule(Number(f.Groups[1].Value));
        if (PreemptText().Match(text) is { Success: true } p) return new PreemptFaultRule(Number(p.Groups[1].Value));
        if (DelayText().Match(text) is { Success: true } d) return new DelayFaultRule(Number(d.Groups[1].Value), Number(d.Groups[2].Value));
        return null;
    }

    private static long Number(string digits) => long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^random: syscall (\S+) -> (\w+)$")]
    private static partial Regex SyscallText();

    [GeneratedRegex(@"^random: frames #(\d+) -> refused$")]
    private static partial Regex FramesText();

    [GeneratedRegex(@"^random: preempt tid \d+ at tick (\d+)$")]
    private static partial Regex PreemptText();

    [GeneratedRegex(@"^random: delay delivery #(\d+) \(.*\) by (\d+) ticks$")]
    private static partial Regex DelayText();
}
