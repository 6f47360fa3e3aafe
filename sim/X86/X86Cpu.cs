using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>
/// An interpreter for 64-bit user-mode x86 code. It decodes with Iced, executes integer, control-flow, stack and
/// string instructions, sends every memory access through an <see cref="IX86Memory"/>, and stops at each
/// <c>syscall</c>, at a fault, or when its instruction budget is used up (deterministic preemption).
/// </summary>
/// <remarks>
/// The instruction groups live in partial files: X86Cpu.Fetch (decode cache), X86Cpu.Operands (registers,
/// effective addresses, memory), X86Cpu.Execute (the dispatch switch), X86Cpu.Alu, X86Cpu.Shifts,
/// X86Cpu.MulDiv, X86Cpu.Bits, X86Cpu.Stack and X86Cpu.Strings.
/// </remarks>
public sealed partial class X86Cpu
{
    private readonly IX86Memory _memory;
    private X86Registers _regs;
    private long _budget;
    private readonly NasmFormatter _formatter = new();

    /// <summary>
    /// Creates a CPU over the given memory, with rip = 0, RFLAGS = <see cref="X86Flags.Initial"/> and MXCSR =
    /// <see cref="X86Mxcsr.Initial"/>.
    /// </summary>
    /// <param name="memory">Where every fetch, load and store goes.</param>
    /// <param name="useDecodeCache">
    /// Keep decoded instructions per code page (validated by <see cref="IX86Memory.CodePageVersion"/>); false decodes
    /// every instruction afresh, which is slower but useful to compare.
    /// </param>
    public X86Cpu(IX86Memory memory, bool useDecodeCache = true)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        UsesDecodeCache = useDecodeCache;
        _regs.Rflags = X86Flags.Initial;
        _regs.Mxcsr = X86Mxcsr.Initial;
        _decoder = Decoder.Create(64, _reader, 0, DecoderOptions.None);
    }

    /// <summary>The registers, by reference: read or change them between runs (e.g. rax after a syscall).</summary>
    public ref X86Registers Registers => ref _regs;

    /// <summary>How many instructions have retired since the CPU was created (a rep iteration counts as one).</summary>
    public long InstructionsRetired { get; private set; }

    /// <summary>The fault that ended the last <see cref="Run"/>, or null if it stopped for another reason.</summary>
    public CpuFault? LastFault { get; private set; }

    /// <summary>The interpreter's internal error that ended the last <see cref="Run"/> (<see cref="StopReason.SimulatorError"/>), else null.</summary>
    public X86SimulatorException? LastSimulatorError { get; private set; }

    /// <summary>
    /// When set, reaching this address ends <see cref="Run"/> with <see cref="StopReason.Returned"/> instead of
    /// fetching from it: the kernel's return sentinel, so that a function it called (an RPC method, a handler, a
    /// thread function) returns without the cost of a fetch fault. Null (the default): no such address.
    /// </summary>
    public ulong? ReturnAddress
    {
        get => _stopsOnReturn ? _returnAddress : null;
        set
        {
            _stopsOnReturn = value.HasValue;
            _returnAddress = value.GetValueOrDefault();
            DropBlocks(); // a block ends where the return address is
        }
    }

    private ulong _returnAddress;
    private bool _stopsOnReturn;

    /// <summary>Whether decoded instructions are cached per code page.</summary>
    public bool UsesDecodeCache { get; }

    /// <summary>
    /// When true, <c>hlt</c> stops <see cref="Run"/> with <see cref="StopReason.Halted"/> (handy for tests built
    /// with the assembler). When false (the default, as for any user-mode program), <c>hlt</c> is a #GP fault.
    /// </summary>
    public bool HaltStops { get; set; }

    /// <summary>
    /// Executes instructions until a <c>syscall</c> retires, an instruction faults, <c>hlt</c> stops (see
    /// <see cref="HaltStops"/>), or <paramref name="maxInstructions"/> instructions have retired.
    /// </summary>
    /// <remarks>
    /// Memory is assumed not to change behind the CPU's back while Run executes (one simulated thread runs at a
    /// time); changes made between runs, by the kernel or another thread, are always noticed.
    /// </remarks>
    /// <param name="maxInstructions">The budget; a rep-prefixed string instruction uses one unit per iteration.</param>
    public StopReason Run(long maxInstructions)
    {
        LastFault = null;
        LastSimulatorError = null;
        _codeStale = true; // memory may have changed since the last run: re-validate the code page first
        _budget = maxInstructions;
        try
        {
            if (_mode == X86CpuMode.Translate && UsesDecodeCache)
                return RunTranslated();
            while (_budget > 0)
            {
                if (_regs.Rip == _returnAddress && _stopsOnReturn) return StopReason.Returned;
                ref Instruction ins = ref Fetch(_regs.Rip);
                switch (Execute(in ins))
                {
                    case Step.Retired:
                        _budget--;
                        InstructionsRetired++;
                        break;
                    case Step.Counted:
                        break;
                    case Step.Syscall:
                        _budget--;
                        InstructionsRetired++;
                        return StopReason.Syscall;
                    case Step.Halt:
                        _budget--;
                        InstructionsRetired++;
                        return StopReason.Halted;
                }
            }
            return StopReason.BudgetExhausted;
        }
        catch (X86FaultException e)
        {
            string text = e.DuringFetch ? "??" : DisassembleAt(_regs.Rip);
            LastFault = new CpuFault(e.Reason, e.Memory, _regs.Rip, text, e.Message, _regs);
            return StopReason.Fault;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or Processes.ThreadTerminatedException or Scheduling.CpuNotHeldException))
        {
            // Anything else is a bug of the simulator, not of the program: never report it as the program's fault.
            LastSimulatorError = new X86SimulatorException(_regs.Rip, TryDisassembleAt(_regs.Rip), e);
            return StopReason.SimulatorError;
        }
    }

    /// <summary>What executing one instruction asks the run loop to do.</summary>
    private enum Step
    {
        /// <summary>The instruction retired; the loop counts it.</summary>
        Retired,
        /// <summary>The instruction counted itself against the budget (rep string instructions).</summary>
        Counted,
        /// <summary>A syscall retired: stop.</summary>
        Syscall,
        /// <summary>hlt with <see cref="HaltStops"/>: stop.</summary>
        Halt,
    }

    /// <summary>Disassembles the instruction at an address (NASM syntax), or "??" if it cannot be fetched.</summary>
    public string DisassembleAt(ulong address)
    {
        byte[] bytes = new byte[15];
        int have = X86Disassembler.ReadCode(_memory, address, bytes);
        if (have == 0)
            return "??";
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes, 0, have), address, DecoderOptions.None);
        decoder.Decode(out Instruction ins);
        return ins.Code == Code.INVALID ? $"(bad) {Convert.ToHexString(bytes, 0, Math.Min(have, 4)).ToLowerInvariant()}" : Format(in ins);
    }

    // For error reports: the memory the disassembler reads may be what failed.
    private string TryDisassembleAt(ulong address)
    {
        try
        {
            return DisassembleAt(address);
        }
        catch (Exception)
        {
            return "??";
        }
    }

    /// <summary>Formats a decoded instruction the way fault reports show it.</summary>
    internal string Format(in Instruction ins)
    {
        var output = new StringOutput();
        _formatter.Format(in ins, output);
        return output.ToStringAndReset();
    }

    private static X86FaultException Illegal(string what) =>
        new(FaultReason.IllegalInstruction, null, $"illegal instruction: {what}");
}
