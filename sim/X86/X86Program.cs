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
    private string? _loadError;
    private ulong _initialRsp;
    private ServiceStacks? _serviceStacks;
    // CPUs of finished method calls, kept for the next call: a new CPU would decode the method's code afresh.
    private readonly Stack<(X86Cpu Cpu, KernelX86Memory Memory)> _idleMethodCpus = new();

    private X86Program(string name, ElfImage? elf, FlatBinary? flat, bool useDecodeCache)
    {
        Name = name;
        _elf = elf;
        _flat = flat;
        _useDecodeCache = useDecodeCache;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>
    /// How the threads' CPUs run the code: <see cref="X86CpuMode.Interpret"/> or <see cref="X86CpuMode.Translate"/>
    /// (default <see cref="DefaultCpuMode"/>). Both give the same run, event for event (docs/x86.md, "The block translator").
    /// </summary>
    public X86CpuMode CpuMode { get; set; } = DefaultsForTests?.Mode ?? DefaultCpuMode;

    /// <summary>The <see cref="CpuMode"/> of a new image, and of <c>exec</c> and scenarios that name no CPU.</summary>
    /// <remarks>
    /// The translator: every x86 test runs under both CPUs with the same results, and with the translation threshold
    /// a short program stays mostly interpreted, so <c>exec</c> of a tiny program is no slower (docs/x86.md).
    /// </remarks>
    public const X86CpuMode DefaultCpuMode = X86CpuMode.Translate;

    /// <summary>
    /// Under <see cref="X86CpuMode.Translate"/>: how many times a block runs interpreted before it is compiled
    /// (<see cref="X86Cpu.TranslationThreshold"/>; 0 = compile every block the first time it runs, as tests do to run
    /// short programs translated). Default <see cref="X86Cpu.DefaultTranslationThreshold"/>.
    /// </summary>
    public int TranslationThreshold
    {
        get => _translationThreshold;
        set => _translationThreshold = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be 0 or more");
    }

    private int _translationThreshold = DefaultsForTests?.Threshold ?? X86Cpu.DefaultTranslationThreshold;

    // TEST ONLY, null in every normal run: the CPU mode and threshold that images created in this async flow start
    // with, so that a test class can run all its x86 programs, however it starts them (exec, scenarios, replay), under
    // the other CPU. An AsyncLocal: tests running in parallel do not see each other's.
    private static readonly AsyncLocal<(X86CpuMode Mode, int Threshold)?> TestDefaults = new();

    /// <summary>TEST ONLY (see <see cref="TestDefaults"/>): the defaults of images created in this async flow.</summary>
    internal static (X86CpuMode Mode, int Threshold)? DefaultsForTests
    {
        get => TestDefaults.Value;
        set => TestDefaults.Value = value;
    }

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
        _loadError = null;
        foreach (X86Cpu cpu in _cpus.Values) _blocksOfEndedCpus += cpu.BlocksTranslated;
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
                _loadError = DescribeMapFailure(space, run.Start, run.End, run.Prot, e);
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

    /// <inheritdoc />
    /// <remarks>Set when a segment could not be mapped: it names the segment and the rule it broke.</remarks>
    public override string? LoadError => _loadError;

    private static string DescribeMapFailure(AddressSpace space, ulong start, ulong end, Protection prot, ErrorCode e)
    {
        string segment = $"segment 0x{start:x}..0x{end:x} ({prot.ToRwx()})";
        // The protection model explains a refusal of its own (an ARMv7-M region's alignment rule).
        return $"{segment}: {space.MapRefusalAdvice(start, end - start, e) ?? e.Message()}";
    }

    /// <inheritdoc />
    /// <remarks>
    /// Threads and handlers start at code (an executable area). A service object is data: its first word points at
    /// its vtable (<see cref="IsValidService"/>), so it must be readable.
    /// </remarks>
    public override bool IsValidEntry(Process process, ulong entry, EntryKind kind) => kind == EntryKind.Service
        ? process.AddressSpace.CheckRange(entry, 8, AccessKind.Read, out _)
        : IsCode(process, entry);

    private static bool IsCode(Process process, ulong address) =>
        process.AddressSpace.Areas.Any(v => v.Contains(address) && (v.Protection & Protection.Execute) != 0);

    /// <inheritdoc />
    /// <remarks>
    /// The x86 service ABI (docs/rpc.md), after CMRX: <paramref name="entry"/> is the address of the service object,
    /// whose first 8 bytes point at its vtable, an array of <paramref name="methods"/> code addresses. At export each
    /// of them must be code of this process; at each call the method's address is read again from the object, as
    /// compiled C reads it.
    /// </remarks>
    public override bool IsValidService(Process process, ulong entry, int methods)
    {
        AddressSpace space = process.AddressSpace;
        if (!space.TryReadUInt64(entry, out ulong vtable, out _)) return false;
        for (int i = 0; i < methods; i++)
            if (!space.TryReadUInt64(vtable + 8 * (ulong)i, out ulong code, out _) || !IsCode(process, code)) return false;
        return true;
    }

    /// <summary>
    /// TEST ONLY, null in every normal run: when set, the memory each new thread's CPU uses instead of the thread's
    /// own (tests wrap it to make the interpreter fail on purpose, as a simulator bug would).
    /// </summary>
    internal Func<SimThread, IX86Memory>? MemoryForTests { get; set; }

    /// <summary>TEST ONLY, null in every normal run: called with each new thread's CPU (tests read its statistics).</summary>
    internal Action<X86Cpu>? CpuCreatedForTests { get; set; }

    /// <inheritdoc />
    public override long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        X86Cpu cpu = StartThread(thread, entry, argument, stackTop);
        try
        {
            Execute(thread, cpu, suspendable: false, out long result);
            return result;
        }
        finally
        {
            EndThread(thread);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// An x86 thread's whole state between two instructions is its CPU's registers: its body is an
    /// <see cref="X86ThreadBody"/>, and the thread runs on the host thread that holds the CPU (docs/x86.md, "Threads").
    /// </remarks>
    public override ResumableBody? CreateResumableBody(ulong entry, ulong argument, ulong stackTop) =>
        new X86ThreadBody(this, entry, argument, stackTop);

    /// <summary>
    /// A new thread's CPU, registered for its handlers: registers at <paramref name="entry"/>, rdi = the argument, rsp
    /// on the main stack or (another thread) on <paramref name="stackTop"/> or a stack mapped now, below a return
    /// address to <see cref="ReturnSentinel"/>.
    /// </summary>
    internal X86Cpu StartThread(SimThread thread, ulong entry, ulong argument, ulong stackTop)
    {
        var cpu = new X86Cpu(MemoryForTests?.Invoke(thread) ?? new KernelX86Memory(thread), _useDecodeCache) { Mode = CpuMode, TranslationThreshold = TranslationThreshold };
        _cpus[thread] = cpu;
        CpuCreatedForTests?.Invoke(cpu);
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
        return cpu;
    }

    /// <summary>The thread has ended: its CPU is no longer needed for handlers.</summary>
    internal void EndThread(SimThread thread)
    {
        if (_cpus.Remove(thread, out X86Cpu? cpu)) _blocksOfEndedCpus += cpu.BlocksTranslated;
    }

    private int _blocksOfEndedCpus;

    /// <summary>
    /// How many blocks the CPUs of this image's threads and service calls have compiled so far (0 under
    /// <see cref="X86CpuMode.Interpret"/>): translation statistics, for tests.
    /// </summary>
    internal int BlocksTranslated =>
        _blocksOfEndedCpus + _cpus.Values.Sum(c => c.BlocksTranslated) + _idleMethodCpus.Sum(c => c.Cpu.BlocksTranslated);

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
        Execute(thread, cpu, suspendable: false, out long result);
        cpu.Registers = saved;
        thread.InstructionsRetired = retired;
        return result;
    }

    /// <inheritdoc />
    /// <remarks>x86 programs export service objects laid out as <see cref="IsValidService"/> says.</remarks>
    public override bool CanExportServices => true;

    /// <inheritdoc />
    /// <remarks>
    /// The method runs on the caller's thread (which now acts for this process through the grant) in a fresh CPU
    /// context of its own: no register of the caller's code reaches it. rip = the method's address read from the
    /// object's vtable, rdi = the object (C's <c>self</c>), rsi, rdx, rcx, r8 = the call's arguments (0 where the
    /// method takes fewer), rsp = a stack in this process's memory (<see cref="ServiceStacks"/>, one per activation
    /// in progress) holding a return address to <see cref="ReturnSentinel"/>; the result is rax when the method
    /// returns. A fault inside the method is this process's fault (its policy runs, the caller gets PeerFaulted).
    /// </remarks>
    public override long RunService(SimThread thread, ulong entry, int method, in RpcArgs args)
    {
        RpcArgs a = args;
        return OnServiceStack(thread, rsp =>
        {
            // The object and its vtable are callee memory, read through the grant: a service that broke its own
            // vtable faults itself, as it would in C.
            ulong vtable = LoadForCall(thread, entry, "the service object");
            ulong code = LoadForCall(thread, vtable + 8 * (ulong)method, $"vtable entry {method}");
            // A fresh register context; the CPU object itself may be one a finished call left (its decode cache is
            // checked against the code's frames at every run, so it is never stale).
            if (!_idleMethodCpus.TryPop(out var context))
            {
                var memory = new KernelX86Memory(thread);
                context = (new X86Cpu(memory, _useDecodeCache) { ReturnAddress = ReturnSentinel }, memory);
            }
            context.Cpu.Mode = CpuMode;
            context.Cpu.TranslationThreshold = TranslationThreshold;
            context.Memory.Thread = thread;
            X86Cpu cpu = context.Cpu;
            cpu.Registers = X86Registers.Create(code, rsp);
            cpu.Registers.Rdi = entry;
            cpu.Registers.Rsi = a.Count > 0 ? a.A0 : 0;
            cpu.Registers.Rdx = a.Count > 1 ? a.A1 : 0;
            cpu.Registers.Rcx = a.Count > 2 ? a.A2 : 0;
            cpu.Registers.R8 = a.Count > 3 ? a.A3 : 0;
            try
            {
                Execute(thread, cpu, suspendable: false, out long result);
                return result;
            }
            finally
            {
                _idleMethodCpus.Push(context);
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a method stack of this process (a free one of its pool, or a newly mapped
    /// one) whose top holds a return address to <see cref="ReturnSentinel"/>; <paramref name="body"/> gets that rsp
    /// (16n - 8, as after a call). This is everything a call into an x86 service does to the callee's memory besides
    /// running its code, so a trace-driven replay, which runs no code, calls it too and the callee's mappings stay
    /// as recorded. Returns the body's result, or the error (OutOfMemory, NoMpuRegion) when the process has no room
    /// for another stack. The thread's instruction count is its own code's again afterwards.
    /// </summary>
    public long OnServiceStack(SimThread thread, Func<ulong, long> body)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(body);
        // A restart brings a new address space: the stacks of the previous incarnation went with the old one.
        AddressSpace space = thread.Process.AddressSpace;
        if (_serviceStacks is null || !ReferenceEquals(_serviceStacks.Space, space)) _serviceStacks = new ServiceStacks(space);
        ServiceStacks stacks = _serviceStacks;
        ErrorCode e = stacks.Take(out ulong top);
        if (e != ErrorCode.Ok) return (long)e;
        // As for handlers: the method's instructions count while it runs (its syscalls show them).
        long retired = thread.InstructionsRetired;
        try
        {
            ulong rsp = (top & ~15UL) - 8;
            if (!thread.Space.TryWriteUInt64(rsp, ReturnSentinel, out MemoryFault fault))
                thread.Kernel.RaiseFault(thread, fault, "rpc call: the method stack cannot be written");
            return body(rsp);
        }
        finally
        {
            thread.InstructionsRetired = retired;
            stacks.Return(top);
        }
    }

    /// <summary>How many method stacks this process has mapped (0 until its first call; the most activations it ran at once).</summary>
    public int ServiceStacksMapped => _serviceStacks?.Mapped ?? 0;

    // A word of the callee's memory that the call needs before any of its code runs; unreadable = the callee's fault.
    private static ulong LoadForCall(SimThread thread, ulong address, string what)
    {
        if (!thread.Space.TryReadUInt64(address, out ulong value, out MemoryFault fault))
            thread.Kernel.RaiseFault(thread, fault, $"rpc call: {what} at 0x{address:x} cannot be read");
        return value;
    }

    // A call frame whose return address is the sentinel: at entry rsp = 16n - 8, as after a call.
    private static ulong PushReturn(SimThread thread, ulong alignedTop)
    {
        ulong rsp = alignedTop - 8;
        thread.StoreUInt64(rsp, ReturnSentinel);
        return rsp;
    }

    /// <summary>
    /// Runs until the function returns to the sentinel (true, <paramref name="result"/> = rax); syscalls go to the
    /// kernel, budgets end in scheduling points. With <paramref name="suspendable"/> (the top level of an inline
    /// thread's step) a scheduling point that switches the thread away suspends it: false, and the next call goes on
    /// from the same registers, exactly where it stopped.
    /// </summary>
    internal static bool Execute(SimThread thread, X86Cpu cpu, bool suspendable, out long result)
    {
        result = 0;
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
                    long returned = thread.Syscall((long)r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9);
                    cpu.Registers.Rax = (ulong)returned;
                    break;
                case StopReason.BudgetExhausted:
                    if (!suspendable) thread.InstructionPoint();
                    else if (!thread.SuspendableInstructionPoint()) return false;
                    break;
                case StopReason.Halted:
                case StopReason.Returned:
                    result = (long)r.Rax;
                    return true;
                case StopReason.SimulatorError:
                    // The simulator's bug, not the program's: the kernel stops the run with a panic naming the instruction.
                    throw cpu.LastSimulatorError!;
                default:
                    CpuFault fault = cpu.LastFault!;
                    if (fault.Memory is { Access: AccessKind.Execute } m && m.Address == ReturnSentinel)
                    {
                        result = (long)r.Rax;
                        return true;
                    }
                    string detail = $"{fault.Message} at 0x{fault.Rip:x}: {fault.Instruction}";
                    if (fault.Memory is { } memory) thread.Kernel.RaiseFault(thread, memory, detail + "\n" + fault.Registers.FormatRegisters());
                    else thread.Kernel.RaiseFault(thread, fault.Reason, fault.Rip, detail + "\n" + fault.Registers.FormatRegisters());
                    result = -1;
                    return true;
            }
        }
    }
}
