namespace MicroKernel.Syscalls;

/// <summary>
/// Every error a syscall can return, as a negative result. <see cref="ErrorCodes.Message"/> explains each one.
/// Numbers are stable: traces and C programs store them.
/// </summary>
public enum ErrorCode : long
{
    /// <summary>Success (results are never negative on success).</summary>
    Ok = 0,
    /// <summary>The syscall number is not known.</summary>
    UnknownSyscall = -1,
    /// <summary>An argument is out of range or malformed (reserved bits, zero length, bad protection bits...).</summary>
    InvalidArgument = -2,
    /// <summary>A pointer argument is not mapped, not accessible to user code, or the range wraps around.</summary>
    BadAddress = -3,
    /// <summary>An address or length that must be page-aligned is not.</summary>
    Misaligned = -4,
    /// <summary>No free physical frames (or no free virtual range) for the request.</summary>
    OutOfMemory = -5,
    /// <summary>No process has that id, or it has exited.</summary>
    NoSuchProcess = -6,
    /// <summary>No thread of the calling process has that id.</summary>
    NoSuchThread = -7,
    /// <summary>The caller may not do that (e.g. join itself, touch another process's thread).</summary>
    NotPermitted = -8,
    /// <summary>The range is (partly) mapped already, where it must be free.</summary>
    AlreadyMapped = -9,
    /// <summary>The range is (partly) not mapped, where it must be.</summary>
    NotMapped = -10,
    /// <summary>MPU: no free region is left for the mapping or grant.</summary>
    NoMpuRegion = -11,
    /// <summary>A bounded queue is full.</summary>
    QueueFull = -12,
    /// <summary>The receiver has no handler registered for that message type.</summary>
    NoHandler = -13,
    /// <summary>A wait ran out of virtual time.</summary>
    TimedOut = -14,
    /// <summary>Waiting would never end: every thread is blocked.</summary>
    Deadlock = -15,
    /// <summary>A limit of the kernel was reached (threads per process, nesting depth...).</summary>
    LimitReached = -16,
    /// <summary>The operation would block and the caller asked not to.</summary>
    WouldBlock = -17,
    /// <summary>The other party faulted or died during the operation.</summary>
    PeerFaulted = -18,
    /// <summary>The process has exited (or is exiting).</summary>
    ProcessExited = -19,
    /// <summary>RPC: no live service object has that handle (or name).</summary>
    NoSuchObject = -20,
    /// <summary>RPC: the service object has no method with that index.</summary>
    NoSuchMethod = -21,
    /// <summary>RPC: the call passes a different number of arguments than the method takes.</summary>
    BadArgCount = -22,
    /// <summary>RPC: the call would nest deeper than the kernel allows (8 calls on one thread).</summary>
    NestingTooDeep = -23,
    /// <summary>RPC: the service's process is being restarted by its fault policy and has not exported it again yet.</summary>
    ServiceRestarting = -24,
    /// <summary>RPC: another live service object already has that name.</summary>
    NameInUse = -25,

    /// <summary>The notification object was closed by its owner (or its owner exited).</summary>
    ObjectClosed = -30,
    /// <summary>The handle is not an open notification handle of the calling process.</summary>
    BadHandle = -31,
    /// <summary>A public notification object with that name exists already.</summary>
    NameTaken = -32,
    /// <summary>No public notification object has that name.</summary>
    NoSuchName = -33,

    /// <summary>Shared memory: no live segment has that id (never made, destroyed, or gone with its connection).</summary>
    NoSuchSegment = -40,
    /// <summary>Shared memory: the segment or connection belongs to another pair of processes.</summary>
    NotThisPair = -41,
    /// <summary>Shared memory: the peer owns the segment now, not the caller.</summary>
    NotOwner = -42,
    /// <summary>Shared memory: the segment was sent and is not delivered yet, or is lent to the peer's handler in a call.</summary>
    AlreadySent = -43,
    /// <summary>Shared memory: no open connection has that id (never made, or closed).</summary>
    NoSuchConnection = -44,
}

/// <summary>Messages for <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    /// <summary>A one-line explanation of the error.</summary>
    public static string Message(this ErrorCode code) => code switch
    {
        ErrorCode.Ok => "success",
        ErrorCode.UnknownSyscall => "unknown syscall number",
        ErrorCode.InvalidArgument => "invalid argument",
        ErrorCode.BadAddress => "bad address: not mapped, not user-accessible, or wraps around",
        ErrorCode.Misaligned => "address or length not page-aligned",
        ErrorCode.OutOfMemory => "out of physical frames or virtual address space",
        ErrorCode.NoSuchProcess => "no such process",
        ErrorCode.NoSuchThread => "no such thread in this process",
        ErrorCode.NotPermitted => "operation not permitted",
        ErrorCode.AlreadyMapped => "range already mapped",
        ErrorCode.NotMapped => "range not mapped",
        ErrorCode.NoMpuRegion => "no free MPU region",
        ErrorCode.QueueFull => "receiver's queue is full",
        ErrorCode.NoHandler => "no handler registered for that message type",
        ErrorCode.TimedOut => "timed out",
        ErrorCode.Deadlock => "deadlock: no thread could ever wake this one",
        ErrorCode.LimitReached => "kernel limit reached",
        ErrorCode.WouldBlock => "operation would block",
        ErrorCode.PeerFaulted => "the other party faulted or exited",
        ErrorCode.ProcessExited => "the process has exited",
        ErrorCode.NoSuchObject => "no such RPC service object",
        ErrorCode.NoSuchMethod => "the service object has no such method",
        ErrorCode.BadArgCount => "wrong number of arguments for the RPC method",
        ErrorCode.NestingTooDeep => "RPC calls nested too deep (limit 8)",
        ErrorCode.ServiceRestarting => "the service is restarting; try again",
        ErrorCode.NameInUse => "a service object with that name exists already",
        ErrorCode.ObjectClosed => "the object was closed by its owner",
        ErrorCode.BadHandle => "no such notification handle",
        ErrorCode.NameTaken => "a notification object with that name exists",
        ErrorCode.NoSuchName => "no notification object has that name",
        ErrorCode.NoSuchSegment => "no such shared-memory segment",
        ErrorCode.NotThisPair => "the segment or connection belongs to another pair of processes",
        ErrorCode.NotOwner => "the peer owns the segment now",
        ErrorCode.AlreadySent => "the segment is in flight or lent to the peer",
        ErrorCode.NoSuchConnection => "no such shared-memory connection",
        _ => string.Create(CultureInfo.InvariantCulture, $"error {(long)code}"),
    };

    /// <summary>The result value a syscall returns for this error.</summary>
    public static long AsResult(this ErrorCode code) => (long)code;
}
