using System.Text;
using Iced.Intel;
using MicroKernel.Syscalls;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// A tiny machine for the CPU tests: flat memory with code at 0x400000 and a stack below 0x7ff0_0000_0000,
/// programs built with Iced's Assembler, and a minimal syscall handler (exit, write) for whole programs.
/// </summary>
internal sealed class X86TestMachine
{
    public const ulong CodeBase = 0x400000;
    public const ulong StackTop = 0x7ff0_0000_0000;
    public const ulong StackSize = 64 * 1024;
    public const ulong DataBase = 0x600000;

    public FlatX86Memory Memory { get; } = new();
    public X86Cpu Cpu { get; }
    public StringBuilder Output { get; } = new();
    public long? ExitCode { get; private set; }

    // The mode of the running test's machines: a fixture derived for translation sets it in its constructor
    // (X86TranslatedFixtures.cs); it flows with the test, so fixtures running in parallel do not mix.
    private static readonly AsyncLocal<X86CpuMode> AmbientMode = new();

    /// <summary>
    /// The CPU mode machines made by this test get (Interpret unless the test class is one of the translated
    /// fixtures). Under Translate every block is compiled the first time it runs (TranslationThreshold = 0).
    /// </summary>
    public static X86CpuMode Mode
    {
        get => AmbientMode.Value;
        set => AmbientMode.Value = value;
    }

    public X86TestMachine(bool useDecodeCache = true)
    {
        Cpu = new X86Cpu(Memory, useDecodeCache) { HaltStops = true, Mode = Mode, TranslationThreshold = 0 };
        Memory.Map(StackTop - StackSize, StackSize, X86Protection.ReadWrite);
        Cpu.Registers = X86Registers.Create(CodeBase, StackTop);
    }

    /// <summary>Assembles code at CodeBase (read+execute, or the given protection) and points rip at it.</summary>
    public static X86TestMachine FromAssembly(Action<Assembler> build, bool useDecodeCache = true,
        X86Protection codeProtection = X86Protection.ReadExecute)
    {
        var machine = new X86TestMachine(useDecodeCache);
        byte[] code = Assemble(build, CodeBase);
        machine.Memory.Map(CodeBase, (ulong)code.Length, codeProtection);
        machine.Memory.Poke(CodeBase, code);
        return machine;
    }

    public static byte[] Assemble(Action<Assembler> build, ulong address)
    {
        var a = new Assembler(64);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    /// <summary>Maps a read/write data page (or more) at DataBase.</summary>
    public X86TestMachine WithData(ulong length = 4096, X86Protection protection = X86Protection.ReadWrite)
    {
        Memory.Map(DataBase, length, protection);
        return this;
    }

    public ref X86Registers Regs => ref Cpu.Registers;

    /// <summary>Runs until hlt (or a fault, syscall, budget).</summary>
    public StopReason Run(long budget = 1_000_000) => Cpu.Run(budget);

    /// <summary>Loads an ELF executable and its initial stack (argv) for RunProcess.</summary>
    public static X86TestMachine FromElf(byte[] file, IReadOnlyList<string> argv, bool useDecodeCache = true)
    {
        var machine = new X86TestMachine(useDecodeCache);
        machine.Cpu.HaltStops = false;
        ElfImage image = ElfImage.Parse(file);
        machine.Memory.LoadElf(image);
        InitialStack stack = InitialStack.Build(StackTop, argv);
        machine.Memory.Poke(stack.Rsp, stack.Bytes);
        machine.Cpu.Registers = X86Registers.Create(image.Entry, stack.Rsp);
        return machine;
    }

    /// <summary>Runs a whole program, serving exit and write; returns the reason it stopped (Syscall = exited).</summary>
    public StopReason RunProcess(long maxInstructions = 500_000_000)
    {
        while (true)
        {
            StopReason stop = Cpu.Run(maxInstructions);
            if (stop != StopReason.Syscall)
                return stop;
            ref X86Registers r = ref Cpu.Registers;
            switch ((SyscallNumber)r.Rax)
            {
                case SyscallNumber.Exit:
                    ExitCode = (long)r.Rdi;
                    return StopReason.Syscall;
                case SyscallNumber.Write:
                    byte[] bytes = Memory.Peek(r.Rdi, (int)r.Rsi);
                    Output.Append(Encoding.UTF8.GetString(bytes));
                    r.Rax = r.Rsi;
                    break;
                default:
                    r.Rax = unchecked((ulong)ErrorCode.UnknownSyscall.AsResult());
                    break;
            }
        }
    }
}
