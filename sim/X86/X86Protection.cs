namespace MicroKernel.X86;

/// <summary>Page permissions of <see cref="FlatX86Memory"/>; the same bits as the <c>prot</c> argument of <c>map</c>.</summary>
[Flags]
public enum X86Protection
{
    /// <summary>No access: any touch faults.</summary>
    None = 0,
    /// <summary>Data loads are allowed.</summary>
    Read = 1,
    /// <summary>Data stores are allowed.</summary>
    Write = 2,
    /// <summary>Instruction fetches are allowed.</summary>
    Execute = 4,
    /// <summary>Read and write (data, stack).</summary>
    ReadWrite = Read | Write,
    /// <summary>Read and execute (code).</summary>
    ReadExecute = Read | Execute,
    /// <summary>Everything (self-modifying code tests).</summary>
    All = Read | Write | Execute,
}
