using System.Reflection;

namespace MicroKernel.Userland.Runtime;

/// <summary>The object <see cref="Rpc.Proxy{TService}"/> returns: each interface method is one rpc_call.</summary>
/// <typeparam name="TService">The service interface.</typeparam>
public class RpcProxy<TService> : DispatchProxy where TService : class
{
    private readonly RpcInterface _contract = RpcInterface.Of(typeof(TService));

    /// <summary>The kernel's object handle the calls go to.</summary>
    public ulong Target { get; internal set; }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        int method = _contract.IndexOf(targetMethod);
        args ??= [];
        Span<ulong> a = stackalloc ulong[4];
        for (int i = 0; i < args.Length; i++) a[i] = RpcInterface.ToWord(args[i]);
        long result = Rpc.Checked(Rpc.CallRaw(Target, method, args.Length, a[0], a[1], a[2], a[3]));
        return _contract.Results[method](result);
    }
}
