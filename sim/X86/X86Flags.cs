namespace MicroKernel.X86;

/// <summary>The bits of RFLAGS the interpreter models, and a formatter for them.</summary>
public static class X86Flags
{
    /// <summary>Carry flag (bit 0): unsigned overflow, borrow, last bit shifted out.</summary>
    public const ulong CF = 1UL << 0;
    /// <summary>Bit 1 is reserved and always reads as 1.</summary>
    public const ulong Reserved1 = 1UL << 1;
    /// <summary>Parity flag (bit 2): the low byte of the result has an even number of 1 bits.</summary>
    public const ulong PF = 1UL << 2;
    /// <summary>Auxiliary carry flag (bit 4): carry or borrow out of bit 3 (for BCD arithmetic).</summary>
    public const ulong AF = 1UL << 4;
    /// <summary>Zero flag (bit 6): the result is zero.</summary>
    public const ulong ZF = 1UL << 6;
    /// <summary>Sign flag (bit 7): the most significant bit of the result.</summary>
    public const ulong SF = 1UL << 7;
    /// <summary>Trap flag (bit 8): single-step; kept as a plain bit here.</summary>
    public const ulong TF = 1UL << 8;
    /// <summary>Interrupt enable flag (bit 9): always set in user mode.</summary>
    public const ulong IF = 1UL << 9;
    /// <summary>Direction flag (bit 10): string instructions walk downwards when set.</summary>
    public const ulong DF = 1UL << 10;
    /// <summary>Overflow flag (bit 11): signed overflow.</summary>
    public const ulong OF = 1UL << 11;
    /// <summary>Alignment check flag (bit 18): kept as a plain bit.</summary>
    public const ulong AC = 1UL << 18;
    /// <summary>CPUID-available flag (bit 21): kept as a plain bit.</summary>
    public const ulong ID = 1UL << 21;

    /// <summary>The six arithmetic status flags: CF, PF, AF, ZF, SF, OF.</summary>
    public const ulong Status = CF | PF | AF | ZF | SF | OF;

    /// <summary>The bits user code may change with POPF (the rest keep their value).</summary>
    public const ulong UserWritable = Status | TF | DF | AC | ID;

    /// <summary>RFLAGS of a fresh user thread: reserved bit 1 and IF.</summary>
    public const ulong Initial = Reserved1 | IF;

    /// <summary>Formats the set flags as names, e.g. "CF ZF IF".</summary>
    public static string Format(ulong rflags)
    {
        var names = new List<string>(8);
        if ((rflags & CF) != 0) names.Add("CF");
        if ((rflags & PF) != 0) names.Add("PF");
        if ((rflags & AF) != 0) names.Add("AF");
        if ((rflags & ZF) != 0) names.Add("ZF");
        if ((rflags & SF) != 0) names.Add("SF");
        if ((rflags & TF) != 0) names.Add("TF");
        if ((rflags & IF) != 0) names.Add("IF");
        if ((rflags & DF) != 0) names.Add("DF");
        if ((rflags & OF) != 0) names.Add("OF");
        return names.Count == 0 ? "-" : string.Join(' ', names);
    }
}
