using System.Diagnostics;
using MicroKernel.Hardware;
using MicroKernel.Sim.X86;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

/// <summary>The C examples, built with the host's gcc and run on the interpreter (skipped without gcc).</summary>
public sealed class X86ProgramTests(ITestOutputHelper output)
{
    private static readonly string RepoRoot = FindRepoRoot();

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MicroKernel.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("MicroKernel.sln not found above the test binaries");
    }

    /// <summary>Compiles an example with the documented command line; null (and a message) when gcc is missing.</summary>
    private byte[]? Build(string name)
    {
        string source = Path.Combine(RepoRoot, "userland", "examples", "c", name + ".c");
        string outFile = Path.Combine(Path.GetTempPath(), $"mk-x86-{name}-{Environment.ProcessId}");
        var psi = new ProcessStartInfo("gcc",
            ["-static", "-nostdlib", "-fno-pie", "-no-pie", "-mgeneral-regs-only", "-O2", "-o", outFile, source])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            output.WriteLine("gcc is not on PATH: the C example tests did nothing.");
            return null;
        }
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"gcc failed: {errors}");
        try
        {
            return File.ReadAllBytes(outFile);
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Hello_writes_and_exits_zero(bool cache)
    {
        byte[]? elf = Build("hello");
        if (elf is null)
            return;
        var m = X86TestMachine.FromElf(elf, ["hello"], cache);
        m.RunProcess().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.Output.ToString().ShouldBe("hello from C\n");
        m.ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Fault_reports_the_null_store()
    {
        byte[]? elf = Build("fault");
        if (elf is null)
            return;
        var m = X86TestMachine.FromElf(elf, ["fault"]);
        m.RunProcess().ShouldBe(StopReason.Fault);
        m.Output.ToString().ShouldBe("about to write through NULL\n");
        CpuFault fault = m.Cpu.LastFault!;
        output.WriteLine(fault.ToString());
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
        byte[]? elf = Build("sieve");
        if (elf is null)
            return;
        var m = X86TestMachine.FromElf(elf, ["sieve", .. args]);
        m.RunProcess().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.Output.ToString().ShouldBe(expected);
        m.ExitCode.ShouldBe(0);
        output.WriteLine($"{m.Cpu.InstructionsRetired} instructions retired");
    }
}
