namespace MicroKernel.Userland.Runtime;

/// <summary>An exported object in a C# program's entry table: the object and its interface's compiled methods.</summary>
internal sealed class ServiceBinding(object implementation, RpcInterface contract)
{
    public RpcInterface Contract { get; } = contract;

    /// <summary>Runs method <paramref name="method"/> (already checked by the kernel) with its four argument words.</summary>
    public long Invoke(int method, ulong a0, ulong a1, ulong a2, ulong a3) => Contract.Invokers[method](implementation, a0, a1, a2, a3);
}
