using System.CommandLine;
using System.CommandLine.Parsing;
using System.Reflection;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// Typed option values with errors in words: <c>--seed abc</c> says "expected an unsigned integer, got 'abc'", where
/// System.CommandLine's own parser would name a .NET type (<c>System.Nullable`1[System.UInt64]</c>). Numbers are
/// read culture-invariantly, so a command line means the same on every machine.
/// </summary>
internal static class CliValues
{
    /// <summary>An option holding one unsigned 64-bit integer (a seed).</summary>
    public static Option<ulong?> Unsigned(string name) => new(name) { CustomParser = r => One(r, "an unsigned integer", (string t, out ulong v) => ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v)) };

    /// <summary>An option holding one 64-bit integer (a tick).</summary>
    public static Option<long?> Long(string name) => new(name) { CustomParser = r => One(r, "an integer", (string t, out long v) => long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)) };

    /// <summary>An option holding one 64-bit integer, <paramref name="fallback"/> when absent.</summary>
    public static Option<long> Long(string name, long fallback) => new(name)
    {
        CustomParser = r => One(r, "an integer", (string t, out long v) => long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)) ?? fallback,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>An option holding one 32-bit integer, <paramref name="fallback"/> when absent.</summary>
    public static Option<int> Int(string name, int fallback) => new(name)
    {
        CustomParser = r => One<int>(r, "an integer", TryInt) ?? fallback,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>A repeatable option holding integers (a pid each time).</summary>
    public static Option<int[]> Ints(string name) => new(name)
    {
        AllowMultipleArgumentsPerToken = false,
        CustomParser = r =>
        {
            var values = new int[r.Tokens.Count];
            for (int i = 0; i < values.Length; i++)
                if (!TryInt(r.Tokens[i].Value, out values[i])) Refuse(r, "an integer", r.Tokens[i].Value);
            return values;
        },
    };

    /// <summary>An option holding one number (seconds).</summary>
    public static Option<double?> Number(string name) => new(name)
    {
        CustomParser = r => One(r, "a number", (string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v)),
    };

    /// <summary>An option holding one of <typeparamref name="T"/>'s names, in any case; numbers are refused.</summary>
    public static Option<T?> Enum<T>(string name) where T : struct, System.Enum => new(name) { CustomParser = OneName<T> };

    /// <summary>As <see cref="Enum{T}(string)"/>, <paramref name="fallback"/> when absent.</summary>
    public static Option<T> Enum<T>(string name, T fallback) where T : struct, System.Enum => new(name)
    {
        CustomParser = r => OneName<T>(r) ?? fallback,
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>
    /// Makes <paramref name="option"/>, which names a file mk writes, refuse <c>-</c> (stdout) with a bad command
    /// line: stdout already carries <paramref name="stdoutCarries"/>, which a second output would garble.
    /// </summary>
    public static void NotStdout(Option<string?> option, string stdoutCarries) => option.Validators.Add(r =>
    {
        if (r.Tokens.Count == 1 && r.Tokens[0].Value == "-") r.AddError($"{option.Name}: cannot go to stdout (-), which carries {stdoutCarries}; name a file");
    });

    /// <summary>
    /// Gives every number and enum option of <paramref name="command"/> and its subcommands that has no parser of its
    /// own one of these, so that a command added later refuses its values in words too.
    /// </summary>
    public static void Apply(Command command)
    {
        foreach (Option o in command.Options)
        {
            switch (o)
            {
                case Option<ulong> { CustomParser: null } u: u.CustomParser = r => One<ulong>(r, "an unsigned integer", TryULong) ?? 0; break;
                case Option<ulong?> { CustomParser: null } u: u.CustomParser = r => One<ulong>(r, "an unsigned integer", TryULong); break;
                case Option<long> { CustomParser: null } l: l.CustomParser = r => One<long>(r, "an integer", TryLong) ?? 0; break;
                case Option<long?> { CustomParser: null } l: l.CustomParser = r => One<long>(r, "an integer", TryLong); break;
                case Option<int> { CustomParser: null } i: i.CustomParser = r => One<int>(r, "an integer", TryInt) ?? 0; break;
                case Option<int?> { CustomParser: null } i: i.CustomParser = r => One<int>(r, "an integer", TryInt); break;
                case Option<double> { CustomParser: null } d: d.CustomParser = r => One<double>(r, "a number", TryDouble) ?? 0; break;
                case Option<double?> { CustomParser: null } d: d.CustomParser = r => One<double>(r, "a number", TryDouble); break;
                default:
                    Type? e = Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType;
                    if (e.IsEnum) typeof(CliValues).GetMethod(nameof(ApplyEnum), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(e).Invoke(null, [o]);
                    break;
            }
        }
        foreach (Command c in command.Subcommands) Apply(c);
    }

    private static void ApplyEnum<T>(Option o) where T : struct, System.Enum
    {
        if (o is Option<T> { CustomParser: null } plain) plain.CustomParser = r => OneName<T>(r) ?? default;
        else if (o is Option<T?> { CustomParser: null } nullable) nullable.CustomParser = OneName<T>;
    }

    private static bool TryULong(string t, out ulong v) => ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v);

    private static bool TryLong(string t, out long v) => long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v);

    private static bool TryDouble(string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v);

    private delegate bool TryParse<T>(string token, out T value);

    private static bool TryInt(string t, out int v) => int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v);

    private static T? One<T>(ArgumentResult r, string expected, TryParse<T> parse) where T : struct
    {
        if (r.Tokens.Count == 0) return null;
        string token = r.Tokens[^1].Value;
        if (parse(token, out T value)) return value;
        Refuse(r, expected, token);
        return null;
    }

    private static T? OneName<T>(ArgumentResult r) where T : struct, System.Enum
    {
        if (r.Tokens.Count == 0) return null;
        string token = r.Tokens[^1].Value;
        // Enum.TryParse also takes "2" or "1,2": a command line names the value.
        if (token.Length > 0 && char.IsLetter(token[0]) && System.Enum.TryParse(token, ignoreCase: true, out T value) && System.Enum.IsDefined(value)) return value;
        Refuse(r, "one of " + string.Join(", ", System.Enum.GetNames<T>()), token);
        return null;
    }

    private static void Refuse(ArgumentResult r, string expected, string token)
    {
        string who = r.Parent is OptionResult o ? o.Option.Name : r.Argument.Name;
        r.AddError($"{who}: expected {expected}, got '{token}'");
    }
}
