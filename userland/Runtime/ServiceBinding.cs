using MicroKernel.Processes;

namespace MicroKernel.Userland.Runtime;

/// <summary>An exported object in a C# program's entry table: the object and its interface's compiled methods.</summary>
internal sealed class ServiceBinding(object implementation, RpcInterface contract)
{
    public RpcInterface Contract { get; } = contract;

    /// <summary>Runs method <paramref name="method"/> (already checked by the kernel) and returns its result as a word.</summary>
    public long Invoke(int method, in RpcArgs args) => Contract.Invokers[method](implementation, args.A0, args.A1, args.A2, args.A3);
}
