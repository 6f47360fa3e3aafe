namespace MicroKernel.X86;

/// <summary>
/// The bits of MXCSR, the SSE control and status register: six sticky exception flags, the six matching mask
/// bits (a set mask means "give the default result and just set the flag"; a clear one makes the exception a
/// #XM fault), the rounding control and the two denormal shortcuts FTZ and DAZ.
/// </summary>
public static class X86Mxcsr
{
    /// <summary>Invalid operation flag (bit 0): an SNaN operand, inf - inf, 0 * inf, 0 / 0, sqrt(-1), a conversion out of range.</summary>
    public const uint IE = 1u << 0;
    /// <summary>Denormal operand flag (bit 1): an operand was a denormal (and DAZ was off).</summary>
    public const uint DE = 1u << 1;
    /// <summary>Divide-by-zero flag (bit 2): a finite nonzero number divided by zero.</summary>
    public const uint ZE = 1u << 2;
    /// <summary>Overflow flag (bit 3): the rounded result was too large for the format.</summary>
    public const uint OE = 1u << 3;
    /// <summary>Underflow flag (bit 4): the result was tiny (below the smallest normal) and inexact, or flushed by FTZ.</summary>
    public const uint UE = 1u << 4;
    /// <summary>Precision flag (bit 5): the result had to be rounded.</summary>
    public const uint PE = 1u << 5;
    /// <summary>All six exception flags.</summary>
    public const uint Flags = IE | DE | ZE | OE | UE | PE;
    /// <summary>Denormals-are-zero (bit 6): denormal operands are read as zeros of the same sign.</summary>
    public const uint DAZ = 1u << 6;
    /// <summary>The six exception masks (bits 7..12), in the order of the flags: the mask of flag f is f &lt;&lt; 7.</summary>
    public const uint Masks = Flags << MaskShift;
    /// <summary>How far a flag's mask bit is above the flag.</summary>
    public const int MaskShift = 7;
    /// <summary>Rounding control (bits 13..14): 0 = nearest even, 1 = down (toward -inf), 2 = up (toward +inf), 3 = toward zero.</summary>
    public const uint RoundingControl = 3u << RoundingShift;
    /// <summary>Where the rounding control field starts.</summary>
    public const int RoundingShift = 13;
    /// <summary>Flush-to-zero (bit 15): a tiny result becomes a zero of its sign (with UE and PE) when underflow is masked.</summary>
    public const uint FTZ = 1u << 15;
    /// <summary>The bits software may set (MXCSR_MASK 0xffff: DAZ is supported); setting any other bit with ldmxcsr is #GP.</summary>
    public const uint Writable = 0xffff;
    /// <summary>MXCSR at reset and for a new Linux process: every exception masked, round to nearest, no FTZ/DAZ.</summary>
    public const uint Initial = 0x1f80;

    /// <summary>Formats MXCSR as names, e.g. "PE RN" or "IE DE FTZ DAZ RZ unmasked:ZE" (unmasked exceptions come last).</summary>
    public static string Format(uint mxcsr)
    {
        var names = new List<string>(10);
        if ((mxcsr & Flags) != 0) names.Add(FlagNames(mxcsr));
        if ((mxcsr & FTZ) != 0) names.Add("FTZ");
        if ((mxcsr & DAZ) != 0) names.Add("DAZ");
        names.Add(((mxcsr & RoundingControl) >> RoundingShift) switch { 0 => "RN", 1 => "RD", 2 => "RU", _ => "RZ" });
        for (int i = 0; i < 6; i++)
            if ((mxcsr & (1u << (i + MaskShift))) == 0) names.Add("unmasked:" + FlagName[i]);
        return string.Join(' ', names);
    }

    private static readonly string[] FlagName = ["IE", "DE", "ZE", "OE", "UE", "PE"];

    /// <summary>The names of the exception flags set in <paramref name="flags"/>, e.g. "OE PE".</summary>
    public static string FlagNames(uint flags)
    {
        var names = new List<string>(6);
        for (int i = 0; i < 6; i++)
            if ((flags & (1u << i)) != 0) names.Add(FlagName[i]);
        return string.Join(' ', names);
    }
}
