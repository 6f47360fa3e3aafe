using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.X86;

/// <summary>
/// A program image of real x86-64 machine code (a static ELF64 executable or a flat binary), run by
/// <see cref="X86Cpu"/> under the process's MMU or MPU. A <c>syscall</c> instruction enters the same kernel path
/// as C# programs; every <see cref="KernelConfig.InstructionsPerTick"/> instructions is a scheduling point.
/// </summary>
public sealed class X86Program : ProgramImage
{
    /// <summary>Bytes of stack each thread gets.</summary>
    public const ulong StackSize = 64 * 1024;

    /// <summary>
    /// Where a handler or thread function "returns" to: a supervisor-only, never-executable address. Fetching from it
    /// is how the kernel learns the function returned (as a signal trampoline would tell it).
    /// </summary>
    public const ulong ReturnSentinel = 0xFFFF_FFFF_FFFF_F000;

    private readonly ElfImage? _elf;
    private readonly FlatBinary? _flat;
    private readonly bool _useDecodeCache;
    private readonly Dictionary<SimThread, X86Cpu> _cpus = [];
    private ulong _initialRsp;

    private X86Program(string name, ElfImage? elf, FlatBinary? flat, bool useDecodeCache)
    {
        Name = name;
        _elf = elf;
        _flat = flat;
        _useDecodeCache = useDecodeCache;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The entry point.</summary>
    public ulong Entry => _elf?.Entry ?? _flat!.Entry;

    /// <summary>An image of an ELF executable.</summary>
    public static X86Program FromElf(string name, ElfImage elf, bool useDecodeCache = true) => new(name, elf, null, useDecodeCache);

    /// <summary>An image of a flat binary (code loaded read+execute at its base, entry = base).</summary>
    public static X86Program FromFlat(string name, FlatBinary flat, bool useDecodeCache = true) => new(name, null, flat, useDecodeCache);

    /// <summary>
    /// Reads an executable: ELF64 when it starts with the ELF magic, else a flat binary at 0x400000.
    /// Throws <see cref="ElfFormatException"/> for a malformed ELF file.
    /// </summary>
    public static X86Program FromBytes(string name, byte[] bytes, bool useDecodeCache = true) =>
        bytes.Length >= 4 && bytes[0] == 0x7F && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F'
            ? FromElf(name, ElfImage.Parse(bytes), useDecodeCache)
            : FromFlat(name, FlatBinary.Create(bytes), useDecodeCache);

    /// <summary>The (va, memsz, bytes, protection) pieces to load.</summary>
    private IEnumerable<(ulong Va, ulong Size, byte[] Data, Protection Prot)> Pieces() => _elf is not null
        ? _elf.Segments.Select(s => (s.VirtualAddress, s.MemorySize, s.Data, (Protection)(int)s.Protection))
        : [(_flat!.Base, (ulong)Math.Max(1, _flat.Code.Length), _flat.Code, Protection.Read | Protection.Execute)];

    /// <inheritdoc />
    public override ErrorCode Load(Process process, out ulong entry, out ulong argument)
    {
        entry = Entry;
        argument = 0;
        LoadError = null;
        _cpus.Clear();
        AddressSpace space = process.AddressSpace;
        // Pages shared by two segments get both permissions; runs of pages with one protection become one VMA.
        var pages = new SortedDictionary<ulong, Protection>();
        foreach (var piece in Pieces())
        {
            if (piece.Size == 0) continue;
            for (ulong p = piece.Va & ~0xFFFUL; p < piece.Va + piece.Size; p += 0x1000)
                pages[p] = pages.GetValueOrDefault(p) | piece.Prot;
        }
        var runs = new List<(ulong Start, ulong End, Protection Prot)>();
        foreach ((ulong page, Protection prot) in pages)
        {
            if (runs.Count > 0 && runs[^1].End == page && runs[^1].Prot == prot) runs[^1] = (runs[^1].Start, page + 0x1000, prot);
            else runs.Add((page, page + 0x1000, prot));
        }
        foreach (var run in runs)
        {
            // Writable while loading; the final protection once the bytes are in.
            ErrorCode e = space.Map(run.Start, run.End - run.Start, Protection.ReadWrite, run.Prot.HasFlag(Protection.Execute) ? "text" : "data", out _);
            if (e != ErrorCode.Ok)
            {
                LoadError = DescribeMapFailure(space, run.Start, run.End, run.Prot, e);
                return e;
            }
        }
        foreach (var piece in Pieces())
            if (piece.Data.Length > 0 && !space.TryWrite(piece.Va, piece.Data, out _)) return ErrorCode.BadAddress;
        foreach (var run in runs)
        {
            ErrorCode e = space.Protect(run.Start, run.End - run.Start, run.Prot);
            if (e != ErrorCode.Ok) return e;
        }

        // The main thread's stack: argc, argv and an empty environment, as the SysV ABI lays them out.
        // Where it goes is the protection model's choice (a fixed top under paging, any free block under an MPU).
        ErrorCode stack = space.Map(space.MainStackAddress(StackSize), StackSize, Protection.ReadWrite, "stack", out ulong stackBase);
        if (stack != ErrorCode.Ok) return stack;
        InitialStack initial = InitialStack.Build(stackBase + StackSize, [Name, .. process.Arguments]);
        if (!space.TryWrite(initial.Rsp, initial.Bytes, out _)) return ErrorCode.BadAddress;
        _initialRsp = initial.Rsp;
        return ErrorCode.Ok;
    }

    /// <summary>
    /// Why the last <see cref="Load"/> could not map a segment, naming it (null when nothing failed there): an
    /// <see cref="ErrorCode"/> alone cannot say which segment broke which rule.
    /// </summary>
    public string? LoadError { get; private set; }

    private static string DescribeMapFailure(AddressSpace space, ulong start, ulong end, Protection prot, ErrorCode e)
    {
        string segment = $"segment 0x{start:x}..0x{end:x} ({prot.ToRwx()})";
        // The protection model explains a refusal of its own (an ARMv7-M region's alignment rule).
        return $"{segment}: {space.MapRefusalAdvice(start, end - start, e) ?? e.Message()}";
    }

    /// <inheritdoc />
    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) =>
        process.AddressSpace.Areas.Any(v => v.Contains(entry) && (v.Protection & Protection.Execute) != 0);

    /// <summary>
    /// TEST ONLY, null in every normal run: when set, the memory each new thread's CPU uses instead of the thread's
    /// own (tests wrap it to make the interpreter fail on purpose, as a simulator bug would).
    /// </summary>
    internal Func<SimThread, IX86Memory>? MemoryForTests { get; set; }

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        var cpu = new X86Cpu(MemoryForTests?.Invoke(thread) ?? new KernelX86Memory(thread), _useDecodeCache);
        _cpus[thread] = cpu;
        ulong rsp;
        if (thread.IsMain)
        {
            rsp = _initialRsp;
        }
        else
        {
            if (stackTop == 0)
            {
                // No stack given: the kernel maps one, as a thread library would.
                if (thread.Process.AddressSpace.Map(0, StackSize, Protection.ReadWrite, "stack", out ulong stackBase) != ErrorCode.Ok)
                    thread.Kernel.RaiseFault(thread, FaultReason.NotPresent, 0, "no memory for a thread stack");
                stackTop = stackBase + StackSize;
            }
            rsp = PushReturn(thread, stackTop & ~15UL);
        }
        cpu.Registers = X86Registers.Create(entry, rsp);
        cpu.Registers.Rdi = argument;
        try
        {
            return Execute(thread, cpu);
        }
        finally
        {
            _cpus.Remove(thread);
        }
    }

    /// <inheritdoc />
    public override long RunUpcall(SimThread thread, ulong entry, in UpcallArgs args)
    {
        X86Cpu cpu = _cpus[thread];
        X86Registers saved = cpu.Registers;
        // Like a signal frame: below the red zone, 16-byte aligned, with a return address to the sentinel.
        ulong rsp = PushReturn(thread, (saved.Rsp - 128) & ~15UL);
        cpu.Registers.Rip = entry;
        cpu.Registers.Rsp = rsp;
        cpu.Registers.Rdi = args.A0;
        cpu.Registers.Rsi = args.A1;
        cpu.Registers.Rdx = args.A2;
        cpu.Registers.Rcx = args.A3;
        cpu.Registers.R8 = args.A4;
        // The handler's instructions count while it runs (its syscalls show them); afterwards the thread's count is
        // the interrupted flow's again, as a trace-driven replay (which cannot know them) reproduces it.
        long retired = thread.InstructionsRetired;
        long result = Execute(thread, cpu);
        cpu.Registers = saved;
        thread.InstructionsRetired = retired;
        return result;
    }

    // A call frame whose return address is the sentinel: at entry rsp = 16n - 8, as after a call.
    private static ulong PushReturn(SimThread thread, ulong alignedTop)
    {
        ulong rsp = alignedTop - 8;
        thread.StoreUInt64(rsp, ReturnSentinel);
        return rsp;
    }

    // Runs until the function returns to the sentinel; syscalls go to the kernel, budgets end in scheduling points.
    private static long Execute(SimThread thread, X86Cpu cpu)
    {
        int slice = thread.Kernel.Config.InstructionsPerTick;
        while (true)
        {
            long before = cpu.InstructionsRetired;
            StopReason stop = cpu.Run(slice);
            thread.InstructionsRetired += cpu.InstructionsRetired - before;
            ref X86Registers r = ref cpu.Registers;
            switch (stop)
            {
                case StopReason.Syscall:
                    long result = thread.Syscall((long)r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9);
                    cpu.Registers.Rax = (ulong)result;
                    break;
                case StopReason.BudgetExhausted:
                    thread.InstructionPoint();
                    break;
                case StopReason.Halted:
                    return (long)r.Rax;
                case StopReason.SimulatorError:
                    // The simulator's bug, not the program's: the kernel stops the run with a panic naming the instruction.
                    throw cpu.LastSimulatorError!;
                default:
                    CpuFault fault = cpu.LastFault!;
                    if (fault.Memory is { Access: AccessKind.Execute } m && m.Address == ReturnSentinel) return (long)r.Rax;
                    string detail = $"{fault.Message} at 0x{fault.Rip:x}: {fault.Instruction}";
                    if (fault.Memory is { } memory) thread.Kernel.RaiseFault(thread, memory, detail + "\n" + fault.Registers.FormatRegisters());
                    else thread.Kernel.RaiseFault(thread, fault.Reason, fault.Rip, detail + "\n" + fault.Registers.FormatRegisters());
                    return -1;
            }
        }
    }
}
