using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Loader;

/// <summary>One load of a C# program: its instance and the runtime state its threads share (entries, runtime area).</summary>
internal sealed class LoadedImage(UserProgram program, ProcessRuntime runtime)
{
    // The Sys views of finished handler runs, by thread, kept for the next run on that thread: a stream runs a
    // segment handler once per packet, which must not allocate. Nested runs take (or make) one each.
    private readonly Dictionary<SimThread, Stack<Sys>> _idleHandlerViews = [];

    public UserProgram Program { get; } = program;

    public ProcessRuntime Runtime { get; } = runtime;

    /// <summary>A view for a handler run on <paramref name="thread"/>: an idle one of that thread, or a new one.</summary>
    public Sys TakeHandlerView(SimThread thread) =>
        _idleHandlerViews.TryGetValue(thread, out Stack<Sys>? idle) && idle.TryPop(out Sys? sys) ? sys : new Sys(thread, Runtime);

    /// <summary>Keeps the view of a finished handler run (its scratch slot already released) for the next one.</summary>
    public void ReturnHandlerView(SimThread thread, Sys sys)
    {
        if (!_idleHandlerViews.TryGetValue(thread, out Stack<Sys>? idle)) _idleHandlerViews[thread] = idle = new Stack<Sys>();
        idle.Push(sys);
    }
}
