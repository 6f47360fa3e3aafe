using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Loader;
using MicroKernel.X86;

namespace MicroKernel.Sim.Scenarios;

/// <summary>Boots a kernel for a scenario, spawns its processes, runs it.</summary>
public static class ScenarioRunner
{
    /// <summary>The embedded scenarios, by name (the demo is "demo").</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["careless", "deadlock", "demo", "mpu", "pages", "portals", "queue", "rpc", "shmem", "streams"];

    /// <summary>Program names a scenario may use.</summary>
    public static IReadOnlyCollection<string> Programs => ExamplePrograms.All.Keys.ToList();

    /// <summary>Loads a built-in scenario by name, or a scenario file by path.</summary>
    public static Scenario Load(string nameOrPath)
    {
        if (BuiltInNames.Contains(nameOrPath)) return ScenarioParser.Parse(BuiltInText(nameOrPath), $"builtin:{nameOrPath}", Programs);
        if (!File.Exists(nameOrPath)) throw new ScenarioException(nameOrPath, 0, "file", "no such file (and not a built-in scenario: " + string.Join(", ", BuiltInNames) + ")");
        return ScenarioParser.Parse(File.ReadAllText(nameOrPath), nameOrPath, Programs);
    }

    /// <summary>The text of an embedded scenario.</summary>
    public static string BuiltInText(string name)
    {
        using Stream stream = typeof(ScenarioRunner).Assembly.GetManifestResourceStream($"scenarios/{name}.scn")
            ?? throw new InvalidOperationException($"missing embedded scenario {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Boots the kernel with every process spawned, ready to <see cref="Kernel.Run"/> (the caller disposes it). When a
    /// process cannot be spawned, the half-booted kernel is disposed before the <see cref="ScenarioException"/>.
    /// </summary>
    public static Kernel Boot(Scenario scenario, IEnumerable<IEventSink>? sinks = null)
    {
        var kernel = new Kernel(scenario.Config);
        foreach (IEventSink sink in sinks ?? []) kernel.AddSink(sink);
        foreach (ProcessSpec spec in scenario.Processes)
        {
            ProgramImage image;
            try
            {
                image = Image(scenario, spec);
            }
            catch (ScenarioException)
            {
                kernel.Dispose();
                throw;
            }
            ErrorCode e = kernel.Spawn(image, spec.Name, out Process? _, spec.Priority, spec.FaultPolicy, spec.Arguments, spec.MaxRestarts);
            if (e == ErrorCode.Ok) continue;
            kernel.Dispose(); // releases the host threads of the processes already spawned
            throw new ScenarioException(scenario.Source, spec.Line, "process", $"cannot spawn '{spec.Name}': {image.LoadError ?? e.Message()}");
        }
        return kernel;
    }

    /// <summary>
    /// The program image a process line names: an example program, a program class of an assembly
    /// (<c>FILE.dll:TYPE</c>), or an x86-64 binary read from its file.
    /// </summary>
    public static ProgramImage Image(Scenario scenario, ProcessSpec spec)
    {
        if (spec.IsBinary) return LoadBinary(scenario, spec);
        if (AssemblyPrograms.Split(spec.Program) is not { } fromAssembly) return ExampleImages.Image(spec.Program)!;
        try
        {
            return AssemblyPrograms.Load(fromAssembly.Path, fromAssembly.Type);
        }
        catch (ProgramLoadException e)
        {
            throw new ScenarioException(scenario.Source, spec.Line, "program", e.Message);
        }
    }

    /// <summary>Reads a process line's x86-64 binary; a missing or malformed file is a <see cref="ScenarioException"/> on that line.</summary>
    public static X86Program LoadBinary(Scenario scenario, ProcessSpec spec)
    {
        try
        {
            X86Program image = X86Program.FromBytes(Path.GetFileName(spec.Program), File.ReadAllBytes(spec.Program));
            if (scenario.Cpu is { } cpu) image.CpuMode = cpu;
            if (scenario.TranslationThreshold is { } threshold) image.TranslationThreshold = threshold;
            return image;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException or ArgumentException)
        {
            throw new ScenarioException(scenario.Source, spec.Line, "binary", $"{spec.Program}: {e.Message}");
        }
    }
}
