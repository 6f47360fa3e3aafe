namespace MicroKernel.Tests.X86;

/// <summary>
/// A fact that needs gcc: without gcc on PATH it is reported as skipped, with the reason, never passed silently.
/// (xunit 2 has no skip decided while a test runs; an attribute that sets <see cref="FactAttribute.Skip"/> when the
/// tests are discovered is the usual way.)
/// </summary>
public sealed class GccFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when gcc is not on PATH.</summary>
    public GccFactAttribute()
    {
        if (!CExamples.GccOnPath()) Skip = GccSkip.NotFound;
    }
}

/// <summary>A theory that needs gcc: skipped visibly without gcc on PATH, as <see cref="GccFactAttribute"/>.</summary>
public sealed class GccTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when gcc is not on PATH.</summary>
    public GccTheoryAttribute()
    {
        if (!CExamples.GccOnPath()) Skip = GccSkip.NotFound;
    }
}

/// <summary>
/// A theory that needs the very gcc and ld that built the committed fixtures (userland/examples/c/fixtures.toolchain):
/// only then must a rebuild give the same bytes. Skipped visibly without gcc or with another toolchain.
/// </summary>
public sealed class SameToolchainTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> unless this machine's gcc and ld are the fixtures' own.</summary>
    public SameToolchainTheoryAttribute()
    {
        if (!CExamples.GccOnPath()) Skip = GccSkip.NotFound;
        else if (GccSkip.HostToolchain.Value != GccSkip.FixturesToolchain)
            Skip = $"this machine's toolchain ({GccSkip.HostToolchain.Value.Replace('\n', ' ').Trim()}) is not the one that built the fixtures "
                 + $"({GccSkip.FixturesToolchain.Replace('\n', ' ').Trim()}): byte equality is only promised for the same gcc and ld";
    }
}

/// <summary>What the gcc attributes share: the skip reason and the toolchains, looked up once per test run.</summary>
internal static class GccSkip
{
    /// <summary>The reason a gcc test is skipped on a machine without gcc.</summary>
    public const string NotFound = "gcc not found on PATH: the C examples were not rebuilt from source "
        + "(every other C-program test still runs, on the committed fixtures in userland/examples/c/fixtures)";

    /// <summary>This machine's gcc and ld (first lines of their --version), asked once.</summary>
    public static readonly Lazy<string> HostToolchain = new(CExamples.HostToolchain);

    /// <summary>The toolchain recorded by <c>make fixtures</c>.</summary>
    public static string FixturesToolchain => File.Exists(CExamples.ToolchainFile) ? File.ReadAllText(CExamples.ToolchainFile).ReplaceLineEndings("\n") : "(no fixtures.toolchain)";
}
