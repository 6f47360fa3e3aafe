using MicroKernel.Hardware;
using MicroKernel.X86;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

/// <summary>The C examples' committed gcc-built fixtures (userland/examples/c/fixtures), run on the interpreter.</summary>
public class X86ProgramTests
{
    private readonly ITestOutputHelper _output;

    /// <summary>These tests run their x86-64 programs on the interpreter (X86ProgramTranslatedTests: on the translator).</summary>
    public X86ProgramTests(ITestOutputHelper output) : this(output, X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86ProgramTests(ITestOutputHelper output, X86CpuMode cpu)
    {
        _output = output;
        X86CpuModes.Use(cpu);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Hello_writes_and_exits_zero(bool cache)
    {
        byte[] elf = CExamples.FixtureBytes("hello");
        var m = X86TestMachine.FromElf(elf, ["hello"], cache);
        m.RunProcess().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.Output.ToString().ShouldBe("hello from C\n");
        m.ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Fault_reports_the_null_store()
    {
        byte[] elf = CExamples.FixtureBytes("fault");
        var m = X86TestMachine.FromElf(elf, ["fault"]);
        m.RunProcess().ShouldBe(StopReason.Fault);
        m.Output.ToString().ShouldBe("about to write through NULL\n");
        CpuFault fault = m.Cpu.LastFault!;
        _output.WriteLine(fault.ToString());
        fault.Reason.ShouldBe(FaultReason.NotPresent);
        fault.Memory!.Value.Access.ShouldBe(AccessKind.Write);
        fault.Memory!.Value.Address.ShouldBe(0UL);
        fault.Instruction.ShouldStartWith("mov");
    }

    [Theory]
    [InlineData(new string[0], "primes below 100000: 9592\n")]
    [InlineData(new[] { "1000" }, "primes below 1000: 168\n")]
    public void Sieve_counts_primes(string[] args, string expected)
    {
        byte[] elf = CExamples.FixtureBytes("sieve");
        var m = X86TestMachine.FromElf(elf, ["sieve", .. args]);
        m.RunProcess().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.Output.ToString().ShouldBe(expected);
        m.ExitCode.ShouldBe(0);
        _output.WriteLine($"{m.Cpu.InstructionsRetired} instructions retired");
    }
}
