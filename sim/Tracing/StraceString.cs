using System.Text;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Bytes as strace prints a string argument: in double quotes, <c>\n \t \r \v \f \" \\</c> escaped, other
/// unprintable bytes in octal (<c>\0</c>, <c>\33</c>; three digits when a digit follows, so that it reads back the
/// same), at most <c>limit</c> bytes, then <c>"..."...</c> when there were more (strace's <c>-s</c>, default 32).
/// </summary>
internal static class StraceString
{
    /// <summary>strace's default <c>-s</c>: bytes of a string shown before <c>...</c>.</summary>
    public const int DefaultLimit = 32;

    /// <summary>The quoted, escaped form of <paramref name="bytes"/>, cut after <paramref name="limit"/> bytes.</summary>
    public static string Quote(ReadOnlySpan<byte> bytes, int limit = DefaultLimit)
    {
        int n = Math.Min(bytes.Length, Math.Max(0, limit));
        var sb = new StringBuilder(n + 8).Append('"');
        for (int i = 0; i < n; i++)
        {
            byte b = bytes[i];
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case 0x0b: sb.Append("\\v"); break;
                case 0x0c: sb.Append("\\f"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case >= 32 and < 127: sb.Append((char)b); break;
                default:
                    // strace: the shortest octal form, unless the next byte shown is a digit (then all three digits).
                    bool digitNext = i + 1 < n && bytes[i + 1] is >= (byte)'0' and <= (byte)'7';
                    string octal = Convert.ToString(b, 8);
                    sb.Append('\\').Append(digitNext ? octal.PadLeft(3, '0') : octal);
                    break;
            }
        }
        sb.Append('"');
        if (bytes.Length > n) sb.Append("...");
        return sb.ToString();
    }
}
