using MicroKernel.Processes;

namespace MicroKernel.Ipc.Rpc;

/// <summary>Whether a service object can be called.</summary>
public enum ServiceState : byte
{
    /// <summary>Exported by a running process: calls go through.</summary>
    Live,
    /// <summary>Its process is being restarted by its fault policy: calls get ServiceRestarting until it exports the name again.</summary>
    Restarting,
}

/// <summary>
/// A registered RPC target: the kernel's copy of an exported object's vtable shape (how many methods, and each
/// one's argument count), the image entry that names the object, and who owns it. rpc_call checks a call against
/// this record before anything of the callee runs.
/// </summary>
public sealed class ServiceObject
{
    internal ServiceObject(ulong handle, Process owner, string? name, ulong entry, byte[] argCounts)
    {
        Handle = handle;
        Owner = owner;
        Name = name;
        Entry = entry;
        ArgCounts = argCounts;
    }

    /// <summary>The handle rpc_call takes: kernel-wide, from 1, never reused.</summary>
    public ulong Handle { get; }

    /// <summary>The exporting process (the callee of every call).</summary>
    public Process Owner { get; }

    /// <summary>The name rpc_lookup finds it by, or null.</summary>
    public string? Name { get; }

    /// <summary>The image's entry for the object (for C# programs, an entry of its table).</summary>
    public ulong Entry { get; internal set; }

    /// <summary>Argument count of each method, by method index (the vtable's shape).</summary>
    public byte[] ArgCounts { get; internal set; }

    /// <summary>Live or restarting.</summary>
    public ServiceState State { get; internal set; }

    /// <summary>Calls that reached a method of it so far.</summary>
    public long Calls { get; internal set; }
}
