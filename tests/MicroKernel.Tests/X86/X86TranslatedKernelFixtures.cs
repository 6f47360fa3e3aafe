using MicroKernel.Tests.Scheduling;
using MicroKernel.X86;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

// Every kernel-level, CLI and scenario test class that runs x86-64 programs, again under the block translator: each
// class inherits all the tests of its interpreter class, whose constructor makes every program it starts (X86Program,
// mk exec, scenarios, replay) translate with threshold 0, so every block is compiled the first time it runs
// (X86CpuModes). The libc and SSE2 fixtures and the cross-mode replays take the CPU as a theory parameter instead.

/// <summary><see cref="X86KernelTests"/> under <see cref="X86CpuMode.Translate"/>: assembled programs in the kernel: syscalls, preemption counts, faults, the MPU models.</summary>
public sealed class X86KernelTranslatedTests() : X86KernelTests(X86CpuMode.Translate);

/// <summary><see cref="X86ProgramTests"/> under <see cref="X86CpuMode.Translate"/>: the gcc fixtures on a bare CPU.</summary>
public sealed class X86ProgramTranslatedTests(ITestOutputHelper output) : X86ProgramTests(output, X86CpuMode.Translate);

/// <summary><see cref="X86RpcTests"/> under <see cref="X86CpuMode.Translate"/>: x86 services and clients, method stacks, faults inside methods.</summary>
public sealed class X86RpcTranslatedTests() : X86RpcTests(X86CpuMode.Translate);

/// <summary><see cref="CServiceTests"/> under <see cref="X86CpuMode.Translate"/>: the C services, their scenario, its record and replay.</summary>
public sealed class CServiceTranslatedTests() : CServiceTests(X86CpuMode.Translate);

/// <summary><see cref="X86ExecCommandTests"/> under <see cref="X86CpuMode.Translate"/>: mk exec: console, arguments, faults, tick limits, load errors.</summary>
public sealed class X86ExecCommandTranslatedTests(ITestOutputHelper output) : X86ExecCommandTests(output, X86CpuMode.Translate);

/// <summary><see cref="X86CScenarioTests"/> under <see cref="X86CpuMode.Translate"/>: the c-pages scenario, its record and replay.</summary>
public sealed class X86CScenarioTranslatedTests(ITestOutputHelper output) : X86CScenarioTests(output, X86CpuMode.Translate);

/// <summary><see cref="X86ShmemScenarioTests"/> under <see cref="X86CpuMode.Translate"/>: the c-shmem scenario, its record and replay.</summary>
public sealed class X86ShmemScenarioTranslatedTests() : X86ShmemScenarioTests(X86CpuMode.Translate);

/// <summary><see cref="CErrnoTests"/> under <see cref="X86CpuMode.Translate"/>: errno, strerror, assert, abort and a fault rule on exec.</summary>
public sealed class CErrnoTranslatedTests() : CErrnoTests(X86CpuMode.Translate);

/// <summary><see cref="X86SimulatorErrorTests"/> under <see cref="X86CpuMode.Translate"/>: an interpreter exception inside a run.</summary>
public sealed class X86SimulatorErrorTranslatedTests() : X86SimulatorErrorTests(X86CpuMode.Translate);

/// <summary><see cref="InlineThreadTests"/> under <see cref="X86CpuMode.Translate"/>: x86 threads on the host thread that holds the CPU.</summary>
public sealed class InlineThreadTranslatedTests() : InlineThreadTests(X86CpuMode.Translate);
