using System.Collections.Immutable;
using MicroKernel.Analyzers;
using MicroKernel.Userland.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace MicroKernel.Tests.Analyzers;

/// <summary>Compiles a C# snippet against the userland runtime and runs <see cref="WritableStaticAnalyzer"/> on it.</summary>
internal static class AnalyzerHarness
{
    // The .NET runtime's assemblies, plus the kernel and userland (UserProgram and the MK0001 attributes).
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal)
                           || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(UserProgram).Assembly.Location)
            .Append(typeof(Kernel).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    /// <summary>The MK0001 diagnostics of <paramref name="source"/>, in source order. The snippet must compile.</summary>
    public static async Task<ImmutableArray<Diagnostic>> Mk0001(string source)
    {
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic; global using MicroKernel.Userland.Runtime;\n" + source)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        // A snippet that does not compile would prove nothing about the rule.
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        ImmutableArray<Diagnostic> all = await compilation
            .WithAnalyzers([new WritableStaticAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();
        return [.. all.Where(d => d.Id == WritableStaticAnalyzer.DiagnosticId).OrderBy(d => d.Location.SourceSpan.Start)];
    }
}
