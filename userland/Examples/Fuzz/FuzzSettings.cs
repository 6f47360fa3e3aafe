using System.Collections.Immutable;

namespace MicroKernel.Userland.Examples.Fuzz;

/// <summary>One syscall the fuzz program may issue: its number and its arguments' names (which pick their edge values).</summary>
/// <param name="Number">The number in rax.</param>
/// <param name="Name">The name traces print.</param>
/// <param name="ArgNames">Each argument's name, as the kernel's table gives it ("addr", "length", "handle"...).</param>
public sealed record FuzzTarget(long Number, string Name, ImmutableArray<string> ArgNames);

/// <summary>A recorded syscall: a number and six argument words (what <c>mk fuzz --from-trace</c> mutates).</summary>
/// <param name="Number">The syscall number.</param>
/// <param name="A0">Argument 0.</param>
/// <param name="A1">Argument 1.</param>
/// <param name="A2">Argument 2.</param>
/// <param name="A3">Argument 3.</param>
/// <param name="A4">Argument 4.</param>
/// <param name="A5">Argument 5.</param>
public readonly record struct FuzzCall(long Number, ulong A0, ulong A1, ulong A2, ulong A3, ulong A4, ulong A5);

/// <summary>
/// What every fuzz process of one kernel is told at load (immutable, like constants compiled into the program):
/// the seed its arguments come from, how many fuzz processes there are (so that it can name the others' pids), the
/// syscalls it may issue, and recorded calls to mutate.
/// </summary>
/// <param name="Seed">The seed of this kernel's fuzzing; each process mixes in its pid and restart generation.</param>
/// <param name="Processes">How many fuzz processes the kernel runs (pids 1..Processes).</param>
/// <param name="Targets">The syscalls to issue: every one the kernel's table holds.</param>
/// <param name="Corpus">Recorded calls to mutate (empty: only fresh calls).</param>
public sealed record FuzzSettings(ulong Seed, int Processes, ImmutableArray<FuzzTarget> Targets, ImmutableArray<FuzzCall> Corpus);
