using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Loader;

/// <summary>One load of a C# program: its instance and the runtime state its threads share (entries, runtime area).</summary>
internal sealed class LoadedImage(UserProgram program, ProcessRuntime runtime)
{
    public UserProgram Program { get; } = program;

    public ProcessRuntime Runtime { get; } = runtime;
}
