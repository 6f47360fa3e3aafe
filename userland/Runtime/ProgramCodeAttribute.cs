namespace MicroKernel.Userland.Runtime;

/// <summary>
/// Marks a type as program code: code that runs inside a simulated process, so analyzer rule MK0001 refuses writable
/// static state in it and in its nested types (docs/architecture.md, "Static state is per process"). Types deriving
/// from <see cref="UserProgram"/> are program code without it; use it on helpers that programs run, such as a
/// service class that is not itself a program.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ProgramCodeAttribute : Attribute;
