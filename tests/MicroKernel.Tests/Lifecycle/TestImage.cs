using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// A program image made in a test: its main thread runs <see cref="Body"/> on the thread's own host thread, or, when
/// <see cref="Steps"/> is set, as an inline thread stepped by a runner (<see cref="ResumableBody"/>). It is the image
/// contract at its smallest (no memory of its own), for what C# programs and x86 code cannot make happen: an image
/// whose own machinery fails, an inline body the test writes step by step, the defaults of <see cref="ProgramImage"/>.
/// </summary>
internal sealed class TestImage(string name) : ProgramImage
{
    /// <summary>What the main thread (and any thread made at <see cref="ThreadEntry"/>) runs on a host thread.</summary>
    public Func<SimThread, ulong, long>? Body { get; init; }

    /// <summary>Makes the inline body of a thread from its entry and argument; null = host threads.</summary>
    public Func<ulong, ulong, ResumableBody>? Steps { get; init; }

    /// <summary>The entry of the main thread, and the one thread_create accepts.</summary>
    public const ulong ThreadEntry = 0x1000;

    public override string Name => name;

    public override ErrorCode Load(Process process, out ulong entry, out ulong argument)
    {
        entry = ThreadEntry;
        argument = 0;
        return ErrorCode.Ok;
    }

    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) => entry == ThreadEntry && kind == EntryKind.Thread;

    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop) =>
        (Body ?? throw new InvalidOperationException("no host-threaded body"))(thread, argument);

    public override ResumableBody? CreateResumableBody(ulong entry, ulong argument, ulong stackTop) => Steps?.Invoke(entry, argument);

    public override long RunUpcall(SimThread thread, ulong entry, in UpcallArgs args) => 0;
}

/// <summary>An inline body from a step function; counts its steps and its <see cref="ResumableBody.Ended"/> calls.</summary>
internal sealed class CountingBody(Func<SimThread, int, (bool Done, long Code)> step) : ResumableBody
{
    public int Steps { get; private set; }

    public int EndedCalls { get; private set; }

    public override bool Step(SimThread thread, out long exitCode)
    {
        (bool done, long code) = step(thread, Steps++);
        exitCode = code;
        return done;
    }

    public override void Ended(SimThread thread) => EndedCalls++;
}
