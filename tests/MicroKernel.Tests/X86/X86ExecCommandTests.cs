using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// <c>mk exec PROGRAM [args]</c> and <c>mk disasm PROGRAM</c>: console to stdout, fault report to stderr, exit code
/// = the program's status (128 + fault reason on a fault, 127 when it cannot be loaded).
/// </summary>
public class X86ExecCommandTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    /// <summary>These tests run their x86-64 programs on the interpreter (X86ExecCommandTranslatedTests: on the translator).</summary>
    public X86ExecCommandTests(ITestOutputHelper output) : this(output, X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86ExecCommandTests(ITestOutputHelper output, X86CpuMode cpu)
    {
        _output = output;
        X86CpuModes.Use(cpu);
    }

    private readonly string _dir = Directory.CreateTempSubdirectory("mk-exec-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Write(string name, Action<Assembler> build, ulong baseAddress = 0x400000)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, X86TestMachine.Assemble(build, baseAddress));
        return path;
    }

    private static void Exit(Assembler a, AssemblerRegister64 status)
    {
        a.mov(rdi, status);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
    }

    [Fact]
    public void Exec_prints_the_console_and_exits_with_the_status()
    {
        string path = Write("hello", a =>
        {
            Label message = a.CreateLabel();
            a.mov(eax, (int)SyscallNumber.Write);
            a.lea(rdi, __[message]);
            a.mov(esi, 3);
            a.syscall();
            a.mov(eax, 42);
            Exit(a, rax);
            a.Label(ref message);
            a.db("hi\n"u8.ToArray());
        });
        var (code, stdout, stderr) = Mk("exec", path);
        (code, stdout, stderr).ShouldBe((42, "hi\n", ""));
    }

    [Fact]
    public void Exec_passes_the_arguments_on_the_initial_stack()
    {
        // exit(argc): argv[0] is the program's name, then the arguments.
        string path = Write("argc", a =>
        {
            a.mov(rax, __qword_ptr[rsp]);
            Exit(a, rax);
        });
        Mk("exec", path).Code.ShouldBe(1);
        Mk("exec", path, "one", "two").Code.ShouldBe(3);
    }

    [Fact]
    public void A_fault_is_reported_on_stderr_and_exits_128_plus_the_reason()
    {
        string path = Write("store", a =>
        {
            a.mov(eax, 0x40);
            a.mov(__qword_ptr[rax], rcx);
        });
        var (code, stdout, stderr) = Mk("exec", path);
        _output.WriteLine(stderr);
        code.ShouldBe(128 + (int)FaultReason.NotPresent);
        stdout.ShouldBeEmpty();
        stderr.ShouldStartWith("fault: pid 1 tid 1: NotPresent (write at 0x40)");
        stderr.ShouldContain("at 0x400005: mov [rax],rcx");
        stderr.ShouldContain("rip = 0x0000000000400005");
    }

    [Fact]
    public void A_divide_error_and_a_tick_limit_kill_both_exit_137_and_stderr_tells_them_apart()
    {
        string div = Write("div", a =>
        {
            a.xor(ecx, ecx);
            a.div(rcx);
        });
        var (code, _, stderr) = Mk("exec", div);
        code.ShouldBe(128 + (int)FaultReason.DivideError);
        code.ShouldBe(137);
        stderr.ShouldContain("DivideError");

        string spin = Write("spin", a =>
        {
            Label loop = a.CreateLabel();
            a.Label(ref loop);
            a.jmp(loop);
        });
        (code, _, stderr) = Mk("exec", spin, "--max-ticks", "50");
        code.ShouldBe((int)Kernel.KilledStatus);
        stderr.ShouldContain("run ended: TickLimit");
        stderr.ShouldNotContain("fault:");
    }

    [Fact]
    public void A_program_that_cannot_be_loaded_exits_127_with_the_reason()
    {
        Mk("exec", Path.Combine(_dir, "missing")).Code.ShouldBe(127);

        string broken = Path.Combine(_dir, "broken");
        File.WriteAllBytes(broken, [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1]);
        var (code, _, stderr) = Mk("exec", broken);
        code.ShouldBe(127);
        stderr.ShouldStartWith($"error: {broken}: ");

        // A data segment of two pages at 0x403000 cannot be one ARMv7-M region (8 KiB regions start at multiples
        // of 8 KiB): the message says so instead of a bare "not page-aligned".
        string odd = Path.Combine(_dir, "odd");
        byte[] exit5 = X86TestMachine.Assemble(a =>
        {
            a.mov(edi, 5);
            a.xor(eax, eax);
            a.syscall();
        }, 0x401000);
        File.WriteAllBytes(odd, ElfImageTests.BuildElf(0x401000,
            new ElfImageTests.Seg(0x401000, exit5, (ulong)exit5.Length, 5),
            new ElfImageTests.Seg(0x403000, [42, 0, 0, 0], 0x2000, 6)));
        (code, _, stderr) = Mk("exec", "--protection", "ArmV7Mpu", odd);
        code.ShouldBe(127);
        stderr.ShouldContain("segment 0x403000..0x405000 (rw-): an ARMv7-M MPU region must be a power of two bytes long");
        stderr.ShouldNotContain("page-aligned");
        Mk("exec", "--protection", "ArmV8Mpu", odd).Code.ShouldBe(5); // ARMv8-M regions need no such alignment
    }

    [Fact]
    public void Exec_refuses_bad_options()
    {
        string path = Write("nop", a => a.nop());
        Mk("exec", path, "--instructions-per-tick", "0").Code.ShouldBe(ExitCodes.Usage);
        Mk("exec", path, "--memory", "8").Code.ShouldBe(ExitCodes.Usage);
        Mk("exec", path, "--watchdog", "-1").Code.ShouldBe(ExitCodes.Usage);
    }

    [Fact]
    public void Disasm_lists_the_code_with_the_formatter()
    {
        string path = Write("code", a =>
        {
            a.mov(eax, 60);
            a.syscall();
        });
        var (code, stdout, _) = Mk("disasm", path);
        code.ShouldBe(ExitCodes.Ok);
        stdout.ShouldContain("mov eax,3Ch");
        stdout.ShouldContain("syscall");
        Mk("disasm", Path.Combine(_dir, "missing")).Code.ShouldBe(ExitCodes.BadInput);
    }

    [Fact]
    public void Exec_runs_a_gcc_built_program()
    {
        Mk("exec", CExamples.Fixture("hello")).ShouldBe((0, "hello from C\n", ""));
        string fault = CExamples.Fixture("fault");
        var (code, stdout, stderr) = Mk("exec", fault);
        code.ShouldBe(128 + (int)FaultReason.NotPresent);
        stdout.ShouldBe("about to write through NULL\n");
        stderr.ShouldContain("NotPresent (write at 0x0)");
    }

    [Fact]
    public void The_notification_example_in_c_passes_every_check()
    {
        Mk("exec", CExamples.Fixture("notify")).ShouldBe((0, "notify: ok\n", ""));
    }
}
