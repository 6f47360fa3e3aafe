namespace MicroKernel.Tests.X86;

/// <summary>
/// The C programs of one example folder (every NAME.c in it), as test data: the fixture tests of c-sse2 and libc
/// enumerate their programs and optimization levels the same way.
/// </summary>
internal static class CProgramSet
{
    /// <summary>The program names of <paramref name="dir"/>, in ordinal order.</summary>
    public static IEnumerable<string> Names(string dir) =>
        Directory.GetFiles(dir, "*.c").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);

    /// <summary>Every program of <paramref name="dir"/> at -O2 and at -O3.</summary>
    public static TheoryData<string, string> Builds(string dir)
    {
        var data = new TheoryData<string, string>();
        foreach (string name in Names(dir))
        {
            data.Add(name, "-O2");
            data.Add(name, "-O3");
        }
        return data;
    }
}
