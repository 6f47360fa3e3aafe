using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Loader;

/// <summary>Program images of the example programs (<see cref="ExamplePrograms"/>), for scenario runners and tests.</summary>
public static class ExampleImages
{
    /// <summary>A program image for <paramref name="name"/>, or null when there is no such example.</summary>
    public static ManagedProgram? Image(string name) =>
        ExamplePrograms.All.TryGetValue(name, out Func<UserProgram>? factory) ? new ManagedProgram(name, factory) : null;
}
