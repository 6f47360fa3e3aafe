using Microsoft.CodeAnalysis;

namespace MicroKernel.Analyzers;

/// <summary>
/// Which types a <c>static readonly</c> field may hold without sharing writable state: values nobody can change once
/// built. Primitives, string, enums, delegates, <c>System.Type</c> and a few BCL value types; the collections of
/// System.Collections.Immutable and System.Collections.Frozen whose type arguments are immutable; and types declared in
/// the compilation whose every instance field has an immutable type (a class must also be sealed and its fields
/// readonly). Arrays, lists, dictionaries and every other type are mutable: readonly only fixes the reference.
/// </summary>
public sealed class ImmutableTypes
{
    private static readonly string[] KnownImmutable =
    [
        "System.Type", "System.Guid", "System.TimeSpan", "System.DateTimeOffset", "System.Int128", "System.UInt128",
        "System.Half", "System.Text.Rune", "System.Version", "System.Uri",
    ];

    private readonly Compilation _compilation;

    /// <summary>The test for types seen by <paramref name="compilation"/>.</summary>
    public ImmutableTypes(Compilation compilation) => _compilation = compilation;

    /// <summary>True when a value of <paramref name="type"/> cannot be changed once built.</summary>
    public bool IsImmutable(ITypeSymbol type) => IsImmutable(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

    private bool IsImmutable(ITypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        if (IsPrimitive(type.SpecialType) || type.TypeKind is TypeKind.Enum or TypeKind.Delegate) return true;
        if (type is not INamedTypeSymbol named) return false; // arrays, pointers, type parameters, dynamic
        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T) return IsImmutable(named.TypeArguments[0], visiting);
        string ns = named.ContainingNamespace?.ToDisplayString() ?? "";
        if (KnownImmutable.Contains(ns + "." + named.MetadataName)) return true;
        if ((ns == "System.Collections.Immutable" && named.Name.StartsWith("Immutable", StringComparison.Ordinal))
            || ns == "System.Collections.Frozen")
            return named.TypeArguments.All(a => IsImmutable(a, visiting));
        return IsImmutableSourceType(named, visiting);
    }

    // A type of this compilation: its fields are visible (private fields of referenced assemblies are not).
    private bool IsImmutableSourceType(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        if (!SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _compilation.Assembly)) return false;
        if (type.TypeKind == TypeKind.Struct) return FieldsImmutable(type, needReadOnly: false, visiting);
        if (type.TypeKind != TypeKind.Class || !type.IsSealed) return false;
        // A sealed class: its own fields and every base class's fields (up to object) must be readonly and immutable.
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            if (!SymbolEqualityComparer.Default.Equals(t.ContainingAssembly, _compilation.Assembly)) return false;
            if (!FieldsImmutable(t, needReadOnly: true, visiting)) return false;
        }
        return true;
    }

    // A struct held in a static readonly field cannot have its fields assigned, so they need not be readonly.
    private bool FieldsImmutable(INamedTypeSymbol type, bool needReadOnly, HashSet<ITypeSymbol> visiting)
    {
        if (!visiting.Add(type)) return true; // a cycle: the other fields decide
        foreach (IFieldSymbol f in type.GetMembers().OfType<IFieldSymbol>())
        {
            if (f.IsStatic || f.IsConst) continue;
            if (needReadOnly && !f.IsReadOnly) return false;
            if (!IsImmutable(f.Type, visiting)) return false;
        }
        return true;
    }

    private static bool IsPrimitive(SpecialType t) => t switch
    {
        SpecialType.System_Boolean or SpecialType.System_Char or SpecialType.System_SByte or SpecialType.System_Byte
            or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double
            or SpecialType.System_Decimal or SpecialType.System_String or SpecialType.System_IntPtr or SpecialType.System_UIntPtr
            or SpecialType.System_DateTime => true,
        _ => false,
    };
}
