namespace MicroKernel.Userland.Runtime;

/// <summary>
/// A typed handle of an RPC service object: the kernel's handle plus, at compile time only, the interface the
/// object implements, so <see cref="Rpc.Call{TService, TResult}"/> accepts only that interface's methods with their
/// own argument types and count.
/// </summary>
/// <typeparam name="TService">The service interface.</typeparam>
/// <param name="Id">The kernel's object handle (rpc_export's result).</param>
public readonly record struct RpcHandle<TService>(ulong Id) where TService : class;
