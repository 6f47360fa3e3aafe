using MicroKernel.Ipc.PageSend;

namespace MicroKernel.Userland.Runtime;

/// <summary>What a page-send handler receives: who sent which pages, and where the kernel mapped them.</summary>
/// <param name="SenderPid">The sending process.</param>
/// <param name="Type">The message type the handler was registered for.</param>
/// <param name="Address">Where the pages are mapped in this process.</param>
/// <param name="Pages">How many pages.</param>
/// <param name="Flags">The sender's flags (move/share/copy, rights, target).</param>
public readonly record struct PageMessage(int SenderPid, ulong Type, ulong Address, ulong Pages, SendFlags Flags)
{
    /// <summary>Length in bytes.</summary>
    public ulong Length => Pages * 4096;
}
