using MicroKernel.Syscalls;

namespace MicroKernel.Faults;

/// <summary>
/// Reads one fault rule from its text, <c>kind key=value ...</c> (docs/scenario-format.md): keys in any order, each at
/// most once; numbers in decimal or 0x hex, read culture-invariantly. Everything is checked here, before a run, so a
/// kernel never meets a rule it cannot apply: a refusal is a <see cref="FaultRuleException"/> naming the field.
/// </summary>
public static class FaultRuleParser
{
    /// <summary>The rule kinds, in the order messages list them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["syscall", "frames", "kill", "crash", "preempt", "flip", "delay", "kernel-bug", "random"];

    // The syscall names and documented errors of this build's kernel (every kernel registers the same table).
    private static readonly Lazy<SyscallTable> DefaultSyscalls = new(() => new Kernel(new KernelConfig { Frames = 16 }).Syscalls);

    /// <summary>Parses <paramref name="text"/>, naming syscalls and errors from this build's syscall table.</summary>
    public static FaultRule Parse(string text) => Parse(text, DefaultSyscalls.Value);

    /// <summary>Parses <paramref name="text"/>; <c>syscall</c> rules are checked against <paramref name="syscalls"/>.</summary>
    public static FaultRule Parse(string text, SyscallTable syscalls)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(syscalls);
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw new FaultRuleException(text, "kind", $"a rule kind ({string.Join(", ", Kinds)}), got nothing");
        var fields = new Fields(text, words[0]);
        foreach (string word in words.Skip(1)) fields.Add(word);
        FaultRule rule = words[0] switch
        {
            "syscall" => Syscall(fields, syscalls),
            "frames" => fields.Done(new FramesFaultRule(fields.Count("nth"), fields.Has("count") ? fields.Count("count") : 1)),
            "kill" => Kill(fields),
            "crash" => fields.Done(new CrashFaultRule(fields.Pid("pid"), fields.Tick("tick"))),
            "preempt" => fields.Done(new PreemptFaultRule(fields.Tick("tick"))),
            "flip" => fields.Done(new FlipFaultRule(fields.Pid("pid"), fields.Address("addr"), fields.Bit("bit"), fields.Tick("tick"))),
            "delay" => fields.Done(new DelayFaultRule(fields.Count("nth"), fields.Count("ticks"))),
            "kernel-bug" => KernelBug(fields),
            "random" => fields.Done(new RandomFaultRule(fields.Probability("p"), fields.Has("kinds") ? fields.FaultKinds("kinds") : FaultKinds.All)),
            _ => throw new FaultRuleException(text, "kind", $"a rule kind ({string.Join(", ", Kinds)}), got '{words[0]}'"),
        };
        return rule;
    }

    /// <summary>The process a rule names with <c>pid=</c>, or null when it names none.</summary>
    public static int? PidOf(FaultRule rule) => rule switch
    {
        SyscallFaultRule s => s.Pid,
        KillFaultRule k => k.Pid,
        CrashFaultRule c => c.Pid,
        FlipFaultRule f => f.Pid,
        _ => null,
    };

    /// <summary>
    /// Refuses <paramref name="rule"/> when its <c>pid=</c> names no process of a run that spawns
    /// <paramref name="processCount"/> processes (pids are given in spawn order from 1).
    /// </summary>
    public static void CheckPid(FaultRule rule, int processCount)
    {
        if (PidOf(rule) is { } pid && (pid < 1 || pid > processCount))
            throw new FaultRuleException(rule.Text, "pid", string.Create(CultureInfo.InvariantCulture,
                $"the pid of a process the run starts ({(processCount == 1 ? "1" : $"1..{processCount}")}), got {pid}"));
    }

    private static SyscallFaultRule Syscall(Fields f, SyscallTable syscalls)
    {
        string name = f.Text("name");
        SyscallInfo info = syscalls.All.FirstOrDefault(s => s.Name == name)
            ?? throw f.Refuse("name", $"a syscall name ({string.Join(", ", syscalls.All.Select(s => s.Name))}), got '{name}'");
        long nth = f.Count("nth");
        string errorText = f.Text("error");
        // One name exactly as the enum spells it: Enum.TryParse alone would also take a number ("-5") or OR a list of
        // names into one value ("InvalidArgument,Misaligned" is InvalidArgument).
        if (!Enum.TryParse(errorText, out ErrorCode error) || !Enum.IsDefined(error) || error == ErrorCode.Ok || error.ToString() != errorText)
            throw f.Refuse("error", $"an error name (InvalidArgument, OutOfMemory, ...), got '{errorText}'");
        if (!info.Errors.Contains(error))
            throw f.Refuse("error", info.Errors.Count == 0
                ? $"no error: {name} is documented to return none, got '{errorText}'"
                : $"an error {name} is documented to return ({string.Join(", ", info.Errors)}), got '{errorText}'");
        int? pid = f.Has("pid") ? f.Pid("pid") : null;
        return f.Done(new SyscallFaultRule(name, nth, error, pid));
    }

    private static KillFaultRule Kill(Fields f)
    {
        int pid = f.Pid("pid");
        bool tick = f.Has("tick"), syscall = f.Has("syscall");
        if (tick == syscall) throw f.Refuse(tick ? "syscall" : "tick", "exactly one of tick=T or syscall=N" + (tick ? ", got both" : ", got neither"));
        return f.Done(new KillFaultRule(pid, tick ? f.Tick("tick") : null, syscall ? f.Count("syscall") : null));
    }

    private static KernelBugFaultRule KernelBug(Fields f)
    {
        string name = f.Text("name");
        if (name != KernelBugNames.SkipTlbFlush) throw f.Refuse("name", $"a kernel bug name ({KernelBugNames.SkipTlbFlush}), got '{name}'");
        return f.Done(new KernelBugFaultRule(name, f.Count("nth")));
    }

    // The key=value fields of one rule: each read at most once, and a key never read is refused by Done.
    private sealed class Fields(string text, string kind)
    {
        private readonly List<(string Key, string Value)> _fields = [];
        private readonly HashSet<string> _read = new(StringComparer.Ordinal);

        public void Add(string word)
        {
            int eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == word.Length - 1) throw Refuse(word, "key=value");
            string key = word[..eq];
            if (_fields.Any(f => f.Key == key)) throw Refuse(key, "each key once, got it twice");
            _fields.Add((key, word[(eq + 1)..]));
        }

        public bool Has(string key) => _fields.Any(f => f.Key == key);

        public FaultRuleException Refuse(string field, string expected) => new(text, field, expected);

        // The rule once every field was used: a key the kind does not have is refused here.
        public T Done<T>(T rule) where T : FaultRule
        {
            foreach ((string key, _) in _fields)
                if (!_read.Contains(key)) throw Refuse(key, $"a key of a {kind} rule ({string.Join(", ", KeysOf(kind))}), got '{key}'");
            return rule;
        }

        public string Text(string key)
        {
            _read.Add(key);
            foreach ((string k, string v) in _fields) if (k == key) return v;
            throw Refuse(key, $"{key}=... (a {kind} rule has {string.Join(", ", KeysOf(kind))}), missing");
        }

        public long Count(string key) => Number(key, 1, long.MaxValue, "a whole number >= 1");

        public long Tick(string key) => Number(key, 0, long.MaxValue, "a tick (a whole number >= 0)");

        public int Pid(string key) => (int)Number(key, 1, int.MaxValue, "a pid (a whole number >= 1)");

        public int Bit(string key) => (int)Number(key, 0, 7, "a bit number 0-7");

        public ulong Address(string key)
        {
            string value = Text(key);
            return ParseUnsigned(value) ?? throw Refuse(key, $"an address (decimal or 0x hex), got '{value}'");
        }

        public double Probability(string key)
        {
            string value = Text(key);
            if (!double.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double p)
                || !(p > 0 && p <= 1))
                throw Refuse(key, $"a probability in (0, 1], got '{value}'");
            return p;
        }

        public FaultKinds FaultKinds(string key)
        {
            string value = Text(key);
            FaultKinds kinds = Faults.FaultKinds.None;
            foreach (string name in value.Split(','))
            {
                FaultKinds k = name switch
                {
                    "syscall" => Faults.FaultKinds.Syscall,
                    "frames" => Faults.FaultKinds.Frames,
                    "preempt" => Faults.FaultKinds.Preempt,
                    "delay" => Faults.FaultKinds.Delay,
                    _ => throw Refuse(key, $"a comma-separated list of syscall, frames, preempt, delay, got '{name}' in '{value}'"),
                };
                if ((kinds & k) != 0) throw Refuse(key, $"each kind once, got '{name}' twice");
                kinds |= k;
            }
            return kinds;
        }

        private long Number(string key, long min, long max, string what)
        {
            string value = Text(key);
            ulong? n = ParseUnsigned(value);
            if (n is not { } v || v < (ulong)min || v > (ulong)max) throw Refuse(key, $"{what}, got '{value}'");
            return (long)v;
        }

        // Decimal, or hex after 0x; no sign, no white space, no group separators.
        private static ulong? ParseUnsigned(string value) =>
            value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h) && value.Length > 2 ? h : null
                : ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong d) ? d : null;
    }

    // The keys each kind takes, for messages.
    private static string[] KeysOf(string kind) => kind switch
    {
        "syscall" => ["name", "nth", "error", "pid"],
        "frames" => ["nth", "count"],
        "kill" => ["pid", "tick", "syscall"],
        "crash" => ["pid", "tick"],
        "preempt" => ["tick"],
        "flip" => ["pid", "addr", "bit", "tick"],
        "delay" => ["nth", "ticks"],
        "kernel-bug" => ["name", "nth"],
        _ => ["p", "kinds"],
    };
}
