namespace MicroKernel.Hardware;

/// <summary>Why a user access (or instruction) faulted. One list for the MMU, the MPU and the CPU.</summary>
public enum FaultReason : byte
{
    /// <summary>No present mapping covers the address (page fault, P = 0).</summary>
    NotPresent,
    /// <summary>A write to a page or region that is read-only.</summary>
    ReadOnly,
    /// <summary>A user access to a supervisor-only page or a privileged-only MPU region.</summary>
    Supervisor,
    /// <summary>An instruction fetch from a page marked NX or a region marked XN.</summary>
    NoExecute,
    /// <summary>The address is not canonical (bits 63..47 not all equal) or beyond the machine's address range.</summary>
    NonCanonical,
    /// <summary>MPU: no enabled region covers the address.</summary>
    NoRegion,
    /// <summary>ARMv8-M MPU: two enabled regions overlap at the address.</summary>
    RegionOverlap,
    /// <summary>MPU: the matching region's access permissions forbid the access.</summary>
    AccessDenied,
    /// <summary>CPU: an instruction the interpreter does not implement, or an invalid encoding.</summary>
    IllegalInstruction,
    /// <summary>CPU: division by zero or a quotient that does not fit (#DE).</summary>
    DivideError,
    /// <summary>CPU: a general protection fault (#GP), e.g. a privileged instruction in user mode.</summary>
    GeneralProtection,
    /// <summary>A C# user program threw an exception: a crash of that process only.</summary>
    UserException,
    /// <summary>
    /// A C# program ran past the host watchdog's budget without reaching a scheduling point (no syscall, no user
    /// memory access): the watchdog took the CPU from it. The run is then no longer deterministic.
    /// </summary>
    Runaway,
    /// <summary>A <c>crash</c> fault rule made the process fault (docs/faults.md): its fault policy runs as for any fault.</summary>
    Injected,
    /// <summary>
    /// A present paging entry has a reserved bit set (above MAXPHYADDR, PS in a PML4E, a misaligned large page): the
    /// page fault's RSVD error-code bit (Intel SDM vol. 3A, 4.7). Exit status 142.
    /// </summary>
    ReservedBit,
    /// <summary>CPU: an SSE floating-point exception whose mask bit in MXCSR is clear (#XM), e.g. a division by zero with ZM = 0.</summary>
    SimdFloatingPoint,
}
