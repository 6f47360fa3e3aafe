using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// x86-64 programs (assembled with Iced, loaded as flat binaries) inside the kernel: the syscall path, faults of
/// the process with their report, deterministic preemption every InstructionsPerTick instructions, instruction
/// counts in syscall events, the MPU models.
/// </summary>
public class X86KernelTests
{
    /// <summary>These tests run their x86-64 programs on the interpreter (X86KernelTranslatedTests: on the translator).</summary>
    public X86KernelTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86KernelTests(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        _cpu = cpu;
    }

    private readonly X86CpuMode _cpu;

    [Fact]
    public void Its_programs_run_on_the_cpu_of_the_test_class()
    {
        Kernel k = Boot();
        X86Program image = Flat(SpinWriteExit(100, "x", 0));
        Spawn(k, image);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        (image.CpuMode, image.TranslationThreshold).ShouldBe(_cpu == X86CpuMode.Translate ? (X86CpuMode.Translate, 0) : (X86CpuMode.Interpret, X86Cpu.DefaultTranslationThreshold));
        (image.BlocksTranslated > 0).ShouldBe(_cpu == X86CpuMode.Translate);
    }

    private static Kernel Boot(ProtectionModel model = ProtectionModel.Paging, int instructionsPerTick = 1000) =>
        new(new KernelConfig { Frames = 4096, Protection = model, InstructionsPerTick = instructionsPerTick, MaxTicks = 100_000 });

    private static X86Program Flat(Action<Assembler> build, ulong baseAddress = FlatBinary.DefaultBase) =>
        X86Program.FromFlat("flat", FlatBinary.Create(X86TestMachine.Assemble(build, baseAddress), baseAddress));

    private static Process Spawn(Kernel k, X86Program image, string name = "x86")
    {
        k.Spawn(image, name, out Process? p).ShouldBe(ErrorCode.Ok, image.LoadError);
        return p!;
    }

    /// <summary>Spins count iterations (dec/jnz), writes text, exits with code: 1 + 2 * count + 4 instructions to the write.</summary>
    private static Action<Assembler> SpinWriteExit(int count, string text, int code) => a =>
    {
        Label loop = a.CreateLabel(), message = a.CreateLabel();
        a.mov(ecx, count);
        a.Label(ref loop);
        a.dec(ecx);
        a.jnz(loop);
        a.mov(eax, (int)SyscallNumber.Write);
        a.lea(rdi, __[message]);
        a.mov(esi, text.Length);
        a.syscall();
        a.mov(eax, (int)SyscallNumber.Exit);
        a.mov(edi, code);
        a.syscall();
        a.Label(ref message);
        a.db(System.Text.Encoding.ASCII.GetBytes(text));
    };

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Syscalls_enter_the_kernel_and_exit_sets_the_status(ProtectionModel model)
    {
        Kernel k = Boot(model);
        Process p = Spawn(k, Flat(SpinWriteExit(10, "hi from x86\n", 7)));
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(7);
        p.Faults.ShouldBeEmpty();
        string.Concat(log.Events.Where(e => e.Kind == EventKind.Console).Select(e => e.Text)).ShouldBe("hi from x86\n");
        k.ShouldBalance();
    }

    [Fact]
    public void Syscall_events_carry_the_exact_instruction_count()
    {
        Kernel k = Boot();
        Spawn(k, Flat(SpinWriteExit(500, "x", 0)));
        (_, EventLog log) = k.RunLogged();
        KernelEvent[] enters = [.. log.Events.Where(e => e.Kind == EventKind.SyscallEnter)];
        enters.Select(e => e.Code).ShouldBe([(long)SyscallNumber.Write, (long)SyscallNumber.Exit]);
        enters[0].Instructions.ShouldBe(1 + 2 * 500 + 4); // mov, 500 x (dec, jnz), then mov, lea, mov, syscall
        enters[1].Instructions.ShouldBe(1 + 2 * 500 + 4 + 3);
    }

    [Fact]
    public void Compute_bound_programs_are_preempted_every_quantum_of_instructions_deterministically()
    {
        static (string Trace, long Preemptions) RunTwo()
        {
            // 100 instructions a tick, round-robin quantum 4: a switch every 400 instructions.
            Kernel k = Boot(instructionsPerTick: 100);
            Spawn(k, Flat(SpinWriteExit(10_000, "A\n", 0)), "a");
            Spawn(k, Flat(SpinWriteExit(10_000, "B\n", 0)), "b");
            (RunResult r, EventLog log) = k.RunLogged();
            r.Outcome.ShouldBe(RunOutcome.Completed);
            k.ShouldBalance();
            long preemptions = log.Events.Count(e => e.Kind == EventKind.Switch && e.Text == "preempt");
            return (string.Join("\n", log.Events), preemptions);
        }

        (string first, long preemptions) = RunTwo();
        // Each process retires 20008 instructions = 50 quanta of 400; every full quantum ends in a switch to the other.
        preemptions.ShouldBeInRange(98L, 100L);
        RunTwo().Trace.ShouldBe(first);
    }

    [Fact]
    public void A_memory_fault_kills_only_that_process_with_a_report_and_128_plus_the_reason()
    {
        Kernel k = Boot();
        Process bad = Spawn(k, Flat(a =>
        {
            a.mov(eax, 0x1234);           // 5 bytes: the store is at 0x400005
            a.mov(__qword_ptr[rax], rcx); // nothing is mapped at 0x1000
            a.hlt();
        }), "bad");
        Process good = Spawn(k, Flat(SpinWriteExit(100, "ok\n", 0)), "good");
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        bad.ExitStatus.ShouldBe(128 + (int)FaultReason.NotPresent);
        FaultRecord f = bad.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        f.Access.ShouldBe(AccessKind.Write);
        f.Address.ShouldBe(0x1234UL);
        f.Detail.ShouldContain("at 0x400005: mov [rax],rcx"); // the disassembled instruction
        f.Detail.ShouldContain("rax = 0x0000000000001234");   // and the registers
        f.Detail.ShouldContain("rip = 0x0000000000400005");
        good.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData("div", FaultReason.DivideError, "div rcx")]
    [InlineData("cpuid", FaultReason.IllegalInstruction, "illegal instruction: cpuid")]
    [InlineData("hlt", FaultReason.GeneralProtection, "hlt is privileged")]
    [InlineData("jump", FaultReason.NotPresent, "instruction fetch")]
    public void Cpu_faults_become_process_faults(string what, FaultReason reason, string detail)
    {
        Kernel k = Boot();
        Process p = Spawn(k, Flat(a =>
        {
            switch (what)
            {
                case "div": a.xor(ecx, ecx); a.div(rcx); break;
                case "cpuid": a.cpuid(); break;
                case "hlt": a.hlt(); break;
                default: a.mov(rax, 0x7000_0000UL); a.jmp(rax); break;
            }
        }));
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        FaultRecord f = p.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(reason);
        f.Detail.ShouldContain(detail);
        p.ExitStatus.ShouldBe(128 + (int)reason);
        k.ShouldBalance();
    }

    [Fact]
    public void Code_is_mapped_read_execute_so_writing_it_faults()
    {
        Kernel k = Boot();
        Process p = Spawn(k, Flat(a =>
        {
            a.mov(eax, (int)FlatBinary.DefaultBase);
            a.mov(__byte_ptr[rax], 0x90);
        }));
        k.Run();
        FaultRecord f = p.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        f.Address.ShouldBe(FlatBinary.DefaultBase);
    }

    [Fact]
    public void An_armv7_segment_not_aligned_to_its_power_of_two_size_is_refused_with_a_reason()
    {
        // Two pages at 0x401000: an ARMv7-M region of 8 KiB must start at a multiple of 8 KiB.
        byte[] code = new byte[5000];
        Array.Fill(code, (byte)0x90);
        X86Program image = X86Program.FromFlat("odd", FlatBinary.Create(code, 0x401000));
        Kernel k = Boot(ProtectionModel.ArmV7Mpu);
        k.Spawn(image, "odd", out _).ShouldBe(ErrorCode.Misaligned);
        image.LoadError.ShouldNotBeNull();
        image.LoadError.ShouldContain("segment 0x401000..0x403000");
        image.LoadError.ShouldContain("power of two");
        image.LoadError.ShouldContain("multiple of 0x2000");
        k.ShouldBalance();

        // The same image loads under ARMv8-M, whose regions need only 32-byte (here page) alignment.
        Kernel v8 = Boot(ProtectionModel.ArmV8Mpu);
        v8.Spawn(image, "odd", out _).ShouldBe(ErrorCode.Ok);
        image.LoadError.ShouldBeNull();
    }
}
