namespace MicroKernel.Userland.Runtime;

/// <summary>
/// What a segment handler receives (<see cref="Sys.RegisterSegmentHandler"/>): a shared-memory segment the peer gave
/// this process, which owns it from now on (for a call: until the handler returns). docs/shmem.md.
/// </summary>
/// <param name="Segment">The segment's id.</param>
/// <param name="Type">The message type the sender chose.</param>
/// <param name="Address">Where the segment is mapped in this process.</param>
/// <param name="Size">The segment's size in bytes, as shm_create was asked.</param>
/// <param name="SenderPid">The process that sent it.</param>
/// <param name="IsCall">True for shm_call: the handler's result is the reply and the segment goes back when it returns.</param>
/// <param name="Unsafe">True for an unsafe segment (read/write for both sides always).</param>
public readonly record struct SegmentMessage(int Segment, ulong Type, ulong Address, ulong Size, int SenderPid, bool IsCall, bool Unsafe);
