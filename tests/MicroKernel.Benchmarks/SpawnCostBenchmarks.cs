using System.Reflection;
using System.Runtime.Loader;
using BenchmarkDotNet.Attributes;
using MicroKernel.Processes;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What per-process statics would cost a spawn if each process loaded its program's assembly into an
/// AssemblyLoadContext of its own (the road not taken; MK0001 refuses writable statics at compile time instead,
/// docs/architecture.md). Each invocation boots a kernel, spawns <see cref="Processes"/> processes of a one-line
/// program and runs them all to exit. The baseline makes each process's program from a type loaded once; the other
/// loads the program's assembly into a fresh collectible context per process (load, type lookup, first-call JIT of
/// its code, unload), which is what gives each process its own copy of the static the program increments.
/// </summary>
[BenchmarkCategory("spawn")]
public class SpawnCostBenchmarks
{
    private const int Processes = 100;

    // Compiled once: a program whose exit code is how many times its static counter was incremented.
    private const string ProgramSource = """
        public sealed class Tiny : MicroKernel.Userland.Runtime.UserProgram
        {
            private static long s_runs;
            public override long Main(MicroKernel.Userland.Runtime.Sys sys) => ++s_runs;
        }
        """;

    private byte[] _image = [];
    private Type _sharedType = typeof(object);

    /// <summary>Compiles the program and checks the two spawn paths do what they claim (shared vs own statics).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _image = Compile();
        _sharedType = new AssemblyLoadContext("shared").LoadFromStream(new MemoryStream(_image)).GetType("Tiny")!;
        // Shared type: the n-th process sees n-1 earlier increments. Own context: every process sees only its own.
        long[] shared = Run(SharedFactory), own = Run(OwnContextFactory);
        if (!shared.SequenceEqual(Enumerable.Range(1, Processes).Select(i => (long)i)) || own.Any(status => status != 1))
            throw new InvalidOperationException("the spawn paths did not isolate statics as expected");
    }

    /// <summary>Spawn from a type loaded once: the program's statics are shared by every process.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Processes)]
    public long SpawnSharedType() => Run(SharedFactory).Sum();

    /// <summary>Spawn with the program's assembly loaded into a fresh collectible context per process.</summary>
    [Benchmark(OperationsPerInvoke = Processes)]
    public long SpawnInOwnLoadContext() => Run(OwnContextFactory).Sum();

    /// <summary>The context alone, no kernel: load, make the program, call its Main once (JIT), unload.</summary>
    [Benchmark(OperationsPerInvoke = Processes)]
    public long LoadContextOnly()
    {
        var contexts = new List<AssemblyLoadContext>();
        long sum = 0;
        for (int i = 0; i < Processes; i++) sum += OwnContextFactory(contexts).Main(null!);
        foreach (AssemblyLoadContext c in contexts) c.Unload();
        return sum;
    }

    private UserProgram SharedFactory(List<AssemblyLoadContext> contexts) => (UserProgram)Activator.CreateInstance(_sharedType)!;

    private UserProgram OwnContextFactory(List<AssemblyLoadContext> contexts)
    {
        // The context resolves MicroKernel.Userland from the default context, so UserProgram is the kernel's type.
        var context = new AssemblyLoadContext("process", isCollectible: true);
        contexts.Add(context);
        Assembly program = context.LoadFromStream(new MemoryStream(_image));
        return (UserProgram)Activator.CreateInstance(program.GetType("Tiny")!)!;
    }

    // Boots a kernel, spawns the processes, runs them; returns their exit statuses in pid order.
    private static long[] Run(Func<List<AssemblyLoadContext>, UserProgram> factory)
    {
        var contexts = new List<AssemblyLoadContext>();
        var k = new Kernel(new KernelConfig { Frames = 4096, AccessesPerTick = 1 << 20, MaxTicks = long.MaxValue });
        var processes = new Process[Processes];
        for (int i = 0; i < Processes; i++)
        {
            if (k.Spawn(new ManagedProgram("tiny", () => factory(contexts)), "tiny", out Process? p) != Syscalls.ErrorCode.Ok)
                throw new InvalidOperationException("spawn failed");
            processes[i] = p!;
        }
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed) throw new InvalidOperationException($"run ended {r.Outcome}");
        foreach (AssemblyLoadContext c in contexts) c.Unload();
        return processes.Select(p => p.ExitStatus).ToArray();
    }

    private static byte[] Compile()
    {
        string[] trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var compilation = CSharpCompilation.Create(
            "TinyProgram",
            [CSharpSyntaxTree.ParseText(ProgramSource)],
            trusted.Where(t => Path.GetFileName(t).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(t) == "netstandard.dll")
                .Append(typeof(UserProgram).Assembly.Location)
                .Append(typeof(Kernel).Assembly.Location)
                .Select(t => MetadataReference.CreateFromFile(t)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        if (!emitted.Success) throw new InvalidOperationException(string.Join("\n", emitted.Diagnostics));
        return stream.ToArray();
    }
}
