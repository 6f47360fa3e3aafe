using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// An internal error of the interpreter (anything thrown inside <see cref="X86Cpu.Run"/> that is not a CPU fault) is
/// a simulator error naming the instruction, and inside the kernel a panic (exit code 5): never the program's
/// illegal instruction.
/// </summary>
public class X86SimulatorErrorTests : IDisposable
{
    /// <summary>These tests run their x86-64 programs on the interpreter (X86SimulatorErrorTranslatedTests: on the translator).</summary>
    public X86SimulatorErrorTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86SimulatorErrorTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    private const ulong FailingRip = FlatBinary.DefaultBase + 7; // after the 7-byte lea

    private readonly string _dir = Directory.CreateTempSubdirectory("mk-simerr-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Memory whose data reads fail the way a bug of the simulator would (not with a CPU fault).</summary>
    private sealed class FailingMemory(IX86Memory inner) : IX86Memory
    {
        public MemoryFault? Read(ulong address, Span<byte> destination, AccessKind kind) =>
            kind == AccessKind.Read ? throw new InvalidOperationException("simulated interpreter bug") : inner.Read(address, destination, kind);

        public MemoryFault? Write(ulong address, ReadOnlySpan<byte> source) => inner.Write(address, source);

        public MemoryFault? CodePageVersion(ulong address, out ulong version) => inner.CodePageVersion(address, out version);
    }

    // lea rbx,[data]; mov rax,[rbx]; exit(rax): the load is where the interpreter "fails".
    private static void LoadAndExit(Assembler a)
    {
        Label data = a.CreateLabel();
        a.lea(rbx, __[data]);
        a.mov(rax, __qword_ptr[rbx]);
        a.mov(rdi, rax);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        a.Label(ref data);
        a.dq(7UL);
    }

    [Fact]
    public void Run_reports_an_interpreter_exception_as_a_simulator_error_naming_the_instruction()
    {
        var m = X86TestMachine.FromAssembly(LoadAndExit);
        var cpu = new X86Cpu(new FailingMemory(m.Memory)) { Mode = X86TestMachine.Mode, TranslationThreshold = 0, Registers = X86Registers.Create(X86TestMachine.CodeBase, X86TestMachine.StackTop) };
        cpu.Run(100).ShouldBe(StopReason.SimulatorError);
        cpu.LastFault.ShouldBeNull();
        X86SimulatorException error = cpu.LastSimulatorError.ShouldNotBeNull();
        error.Rip.ShouldBe(FailingRip);
        error.Instruction.ShouldBe("mov rax,[rbx]");
        error.Message.ShouldBe($"x86 interpreter internal error at 0x{FailingRip:x} (mov rax,[rbx]): InvalidOperationException");
        error.InnerException.ShouldBeOfType<InvalidOperationException>().Message.ShouldBe("simulated interpreter bug");

        // The same program on sound memory runs to its exit: the error came from the memory, not the code.
        m.RunProcess().ShouldBe(StopReason.Syscall);
        m.ExitCode.ShouldBe(7);
    }

    [Fact]
    public void Inside_the_kernel_an_interpreter_error_is_a_panic_not_an_illegal_instruction()
    {
        var k = new Kernel(new KernelConfig { Frames = 1024, MaxTicks = 100_000 });
        var image = X86Program.FromFlat("flat", FlatBinary.Create(X86TestMachine.Assemble(LoadAndExit, FlatBinary.DefaultBase)));
        image.MemoryForTests = t => new FailingMemory(new KernelX86Memory(t));
        k.Spawn(image, "flat", out Process? p).ShouldBe(ErrorCode.Ok);
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        p!.Faults.ShouldBeEmpty();
        r.Panic!.Summary.ShouldBe($"X86SimulatorException: x86 interpreter internal error at 0x{FailingRip:x} (mov rax,[rbx]): InvalidOperationException");
        r.Panic.KernelStack.ShouldContain("simulated interpreter bug"); // the inner exception, for the printed report only
        log.Events.Single(e => e.Kind == EventKind.Panic).Text.ShouldBe(r.Panic.Summary);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Fault);
    }

    [Fact]
    public void Mk_exec_exits_5_and_reports_the_instruction_on_an_interpreter_error()
    {
        string path = Path.Combine(_dir, "load");
        File.WriteAllBytes(path, X86TestMachine.Assemble(LoadAndExit, FlatBinary.DefaultBase));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr)
        {
            Booted = k => ((X86Program)k.Processes.Single().Image).MemoryForTests = t => new FailingMemory(new KernelX86Memory(t)),
        };
        int code = app.Invoke(["exec", path]);
        code.ShouldBe(ExitCodes.Panic, stderr.ToString());
        stderr.ToString().ShouldContain($"KERNEL PANIC: kernel panic at tick 0, event #");
        stderr.ToString().ShouldContain("x86 interpreter internal error at 0x400007 (mov rax,[rbx])");
        stderr.ToString().ShouldNotContain("fault:");

        // Without the planted bug the same file exits with its own status.
        new CliApp(new StringWriter(), new StringWriter()).Invoke(["exec", path]).ShouldBe(7);
    }
}
