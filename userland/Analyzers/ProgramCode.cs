using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace MicroKernel.Analyzers;

/// <summary>
/// Which types of a compilation are program code, i.e. code that runs inside a simulated process: a type deriving
/// (directly or not) from <c>MicroKernel.Userland.Runtime.UserProgram</c>, a type marked <c>[ProgramCode]</c>, any type
/// nested (at any depth) in one of those, every class whose objects are exported with <c>Rpc.Export</c> (its methods
/// run acting for the exporting process; see the analyzer), and every type in a namespace (or a namespace inside it) that the
/// compilation names with <c>[assembly: ProgramNamespace("...")]</c>.
/// </summary>
public sealed class ProgramCode
{
    /// <summary>Metadata name of the base class of C# programs.</summary>
    public const string UserProgramName = "MicroKernel.Userland.Runtime.UserProgram";

    /// <summary>Metadata name of the attribute that marks a type as program code.</summary>
    public const string ProgramCodeAttributeName = "MicroKernel.Userland.Runtime.ProgramCodeAttribute";

    /// <summary>Metadata name of the assembly attribute that marks a namespace as program code.</summary>
    public const string ProgramNamespaceAttributeName = "MicroKernel.Userland.Runtime.ProgramNamespaceAttribute";

    /// <summary>Metadata name of the class whose <c>Export</c> makes a service object's class program code.</summary>
    public const string RpcName = "MicroKernel.Userland.Runtime.Rpc";

    /// <summary>Metadata name of the attribute that exempts a static of host plumbing, with its reason.</summary>
    public const string HostStateAttributeName = "MicroKernel.Userland.Runtime.HostStateAttribute";

    private readonly INamedTypeSymbol _userProgram;
    private readonly INamedTypeSymbol? _programCodeAttribute;
    private readonly INamedTypeSymbol? _hostStateAttribute;
    private readonly INamedTypeSymbol? _threadStaticAttribute;
    private readonly INamedTypeSymbol? _rpc;
    private readonly string[] _namespaces;

    private ProgramCode(Compilation compilation, INamedTypeSymbol userProgram)
    {
        _userProgram = userProgram;
        _programCodeAttribute = compilation.GetTypeByMetadataName(ProgramCodeAttributeName);
        _hostStateAttribute = compilation.GetTypeByMetadataName(HostStateAttributeName);
        _threadStaticAttribute = compilation.GetTypeByMetadataName("System.ThreadStaticAttribute");
        _rpc = compilation.GetTypeByMetadataName(RpcName);
        INamedTypeSymbol? programNamespace = compilation.GetTypeByMetadataName(ProgramNamespaceAttributeName);
        _namespaces = compilation.Assembly.GetAttributes()
            .Where(a => programNamespace is not null && SymbolEqualityComparer.Default.Equals(a.AttributeClass, programNamespace))
            .Select(a => a.ConstructorArguments.Length == 1 ? a.ConstructorArguments[0].Value as string : null)
            .Where(n => !string.IsNullOrWhiteSpace(n))
            .Select(n => n!)
            .ToArray();
        Immutable = new ImmutableTypes(compilation);
    }

    /// <summary>The immutability test for static readonly fields of this compilation.</summary>
    public ImmutableTypes Immutable { get; }

    /// <summary>The rules for <paramref name="compilation"/>, or null when it does not reference the userland runtime.</summary>
    public static ProgramCode? For(Compilation compilation) =>
        compilation.GetTypeByMetadataName(UserProgramName) is { } userProgram ? new ProgramCode(compilation, userProgram) : null;

    /// <summary>True when <paramref name="type"/> is program code.</summary>
    public bool Contains(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
            if (DerivesFromUserProgram(t) || HasAttribute(t, _programCodeAttribute)) return true;
        if (type.ContainingNamespace is not { IsGlobalNamespace: false } ns) return false;
        string name = ns.ToDisplayString();
        return _namespaces.Any(p => name == p || name.StartsWith(p + ".", StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="symbol"/> carries <c>[HostState]</c> with a non-empty reason.</summary>
    public bool IsHostState(ISymbol symbol) =>
        _hostStateAttribute is not null && symbol.GetAttributes().Any(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, _hostStateAttribute)
            && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string reason && !string.IsNullOrWhiteSpace(reason));

    /// <summary>True when <paramref name="field"/> is <c>[ThreadStatic]</c>.</summary>
    public bool IsThreadStatic(IFieldSymbol field) => HasAttribute(field, _threadStaticAttribute);

    /// <summary>
    /// The class of the service object <paramref name="call"/> exports when it is <c>Rpc.Export(object, ...)</c> and
    /// the object's static type is a class of this compilation; otherwise null (an object typed as the interface
    /// cannot be traced to its class at compile time).
    /// </summary>
    public INamedTypeSymbol? ExportedType(IInvocationOperation call)
    {
        if (_rpc is null || call.TargetMethod.Name != "Export" || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _rpc)) return null;
        IOperation? value = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
        while (value is IConversionOperation conversion) value = conversion.Operand;
        return value?.Type is INamedTypeSymbol { TypeKind: TypeKind.Class } type
            && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, call.SemanticModel?.Compilation.Assembly)
            ? type : null;
    }

    private bool DerivesFromUserProgram(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? b = type.BaseType; b is not null; b = b.BaseType)
            if (SymbolEqualityComparer.Default.Equals(b, _userProgram)) return true;
        return false;
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && symbol.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
}
