using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace MicroKernel.Analyzers;

/// <summary>
/// MK0001: program code may not hold writable static state. Every process of a C# program runs in the one host
/// process, so a static field is one variable shared by all of them: a value written there by one process is read
/// by another with no syscall, no IPC and no trace event. The rule refuses such fields at compile time; which code
/// is program code is decided by <see cref="ProgramCode"/>, which types are immutable by <see cref="ImmutableTypes"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WritableStaticAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string DiagnosticId = "MK0001";

    private static readonly DiagnosticDescriptor Rule = new(
        DiagnosticId,
        title: "Writable static state in program code",
        messageFormat: "'{0}' is writable static state in program code ({1}); every process of the program would share it. "
            + "Keep per-process state in instance fields of the program or in user memory (sys.Map), and pass values "
            + "between processes through a syscall or IPC.",
        category: "MicroKernel.Isolation",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A static field is one variable for every simulated process, so it lets processes share state "
            + "behind the kernel's back. Program code is every type deriving from UserProgram, every type nested in one, "
            + "every type marked [ProgramCode], every class whose objects are exported with Rpc.Export, and every type in a "
            + "namespace named by [assembly: ProgramNamespace]. "
            + "Host plumbing that must stay static says why with [HostState(\"reason\")].");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Generated code runs in the process too: a generator must not add shared state either.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // A compilation that cannot see the userland runtime has no program code.
            ProgramCode? program = ProgramCode.For(start.Compilation);
            if (program is null) return;
            start.RegisterSymbolAction(c =>
            {
                var type = (INamedTypeSymbol)c.Symbol;
                if (program.Contains(type)) Check(type, program, c.ReportDiagnostic);
            }, SymbolKind.NamedType);

            // A class whose objects are exported with Rpc.Export is program code too: its methods run acting for the
            // exporting process. Exports are only known once every call has been seen, so they are checked at the end.
            var exported = new ConcurrentDictionary<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
            start.RegisterOperationAction(c =>
            {
                if (program.ExportedType((IInvocationOperation)c.Operation) is { } type) exported.TryAdd(type, true);
            }, OperationKind.Invocation);
            start.RegisterCompilationEndAction(c =>
            {
                foreach (INamedTypeSymbol type in exported.Keys.OrderBy(t => t.ToDisplayString(), StringComparer.Ordinal))
                    CheckWithNested(type, program, c.ReportDiagnostic);
            });
        });
    }

    // An exported service class that is not already program code, and the types nested in it.
    private static void CheckWithNested(INamedTypeSymbol type, ProgramCode program, Action<Diagnostic> report)
    {
        if (!type.Locations.Any(l => l.IsInSource) || program.Contains(type)) return;
        Check(type, program, report);
        foreach (INamedTypeSymbol nested in type.GetTypeMembers()) CheckWithNested(nested, program, report);
    }

    private static void Check(INamedTypeSymbol type, ProgramCode program, Action<Diagnostic> report)
    {
        // GetMembers includes the hidden backing fields of auto-properties (reported on the property), not those of
        // field-like events, which are asked for separately.
        foreach (ISymbol member in type.GetMembers())
        {
            string? why = member switch
            {
                IFieldSymbol { IsStatic: true, IsConst: false } field => WhyWritable(field, program),
                IEventSymbol { IsStatic: true, IsAbstract: false, AddMethod.IsImplicitlyDeclared: true } => "a static field-like event",
                _ => null,
            };
            if (why is null) continue;
            ISymbol declared = (member as IFieldSymbol)?.AssociatedSymbol ?? member;
            if (program.IsHostState(declared)) continue;
            Location? where = declared.Locations.FirstOrDefault(l => l.IsInSource);
            if (where is null) continue;
            report(Diagnostic.Create(Rule, where, declared.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat), why));
        }
    }

    // Null when the field is immutable state; otherwise the reason it is not, for the message.
    private static string? WhyWritable(IFieldSymbol field, ProgramCode program)
    {
        if (program.IsThreadStatic(field))
            return "[ThreadStatic] is shared by every process whose code runs on that host thread, and an RPC method runs on the caller's";
        if (!field.IsReadOnly)
        {
            return field.AssociatedSymbol is IPropertySymbol ? "a static property with a setter" : "a static field that is not readonly";
        }
        if (program.Immutable.IsImmutable(field.Type)) return null;
        return $"readonly, but its type {field.Type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)} is mutable";
    }
}
