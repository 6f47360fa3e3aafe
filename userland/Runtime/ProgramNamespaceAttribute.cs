namespace MicroKernel.Userland.Runtime;

/// <summary>
/// Marks every type of the assembly in namespace <see cref="Namespace"/> (or a namespace inside it) as program code,
/// which analyzer rule MK0001 checks for writable static state (docs/architecture.md, "Static state is per process").
/// </summary>
/// <param name="namespaceName">The namespace, e.g. <c>MicroKernel.Userland</c>.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class ProgramNamespaceAttribute(string namespaceName) : Attribute
{
    /// <summary>The namespace whose types are program code.</summary>
    public string Namespace { get; } = namespaceName;
}
