namespace MicroKernel.X86;

/// <summary>Raw machine code loaded at a fixed base address, starting at its first byte (no headers).</summary>
public sealed class FlatBinary
{
    /// <summary>The conventional load address, the same as a non-PIE ELF's.</summary>
    public const ulong DefaultBase = 0x400000;

    private FlatBinary(ulong baseAddress, byte[] code)
    {
        Base = baseAddress;
        Code = code;
    }

    /// <summary>Where the code is loaded.</summary>
    public ulong Base { get; }

    /// <summary>The entry point: the first byte of the code.</summary>
    public ulong Entry => Base;

    /// <summary>The code bytes.</summary>
    public byte[] Code { get; }

    /// <summary>Wraps code to be loaded at baseAddress (page-aligned, in the user half of the address space).</summary>
    /// <exception cref="ArgumentException">The base is not page-aligned, or the code leaves the user address space.</exception>
    public static FlatBinary Create(ReadOnlySpan<byte> code, ulong baseAddress = DefaultBase)
    {
        if (baseAddress % FlatX86Memory.PageSize != 0)
            throw new ArgumentException($"base 0x{baseAddress:x} is not page-aligned", nameof(baseAddress));
        if (baseAddress >= ElfImage.UserAddressLimit || (ulong)code.Length > ElfImage.UserAddressLimit - baseAddress)
            throw new ArgumentException($"code at 0x{baseAddress:x} leaves the user address space", nameof(baseAddress));
        return new FlatBinary(baseAddress, code.ToArray());
    }
}
