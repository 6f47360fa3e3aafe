using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// Runs a test's x86-64 programs under one CPU, however the test starts them (<c>X86Program</c>, <c>mk exec</c>,
/// scenarios, replay, <see cref="X86TestMachine"/>): every image created afterwards in the test's flow starts in that mode. Under
/// <see cref="X86CpuMode.Translate"/> every block is compiled the first time it runs (threshold 0), so that short
/// programs really run translated code. A test class runs under both CPUs by deriving a class that passes
/// <see cref="X86CpuMode.Translate"/> to its base (X86TranslatedKernelFixtures.cs), or takes the mode as a theory
/// parameter (<see cref="Both"/>).
/// </summary>
internal static class X86CpuModes
{
    /// <summary>Images created from now on in this test start in <paramref name="mode"/>.</summary>
    public static void Use(X86CpuMode mode)
    {
        X86Program.DefaultsForTests = (mode, mode == X86CpuMode.Translate ? 0 : X86Cpu.DefaultTranslationThreshold);
        X86TestMachine.Mode = mode; // and the bare CPUs of X86TestMachine
    }

    /// <summary>
    /// The <c>mk exec</c> and <c>mk replay</c> options that pick <paramref name="mode"/> (the translator with threshold 0, as <see cref="Use"/>).
    /// </summary>
    public static string[] CliOptions(X86CpuMode mode) => mode == X86CpuMode.Translate
        ? ["--cpu", "translate", "--translate-threshold", "0"]
        : ["--cpu", "interpret"];

    /// <summary>Both CPU modes, as theory data.</summary>
    public static TheoryData<X86CpuMode> Both => [X86CpuMode.Interpret, X86CpuMode.Translate];

    /// <summary>Every row of <paramref name="data"/> under each CPU mode (the mode last).</summary>
    public static TheoryData<string, string, X86CpuMode> UnderBoth(TheoryData<string, string> data)
    {
        var rows = new TheoryData<string, string, X86CpuMode>();
        foreach (object[] row in data)
            foreach (X86CpuMode mode in new[] { X86CpuMode.Interpret, X86CpuMode.Translate })
                rows.Add((string)row[0], (string)row[1], mode);
        return rows;
    }
}
