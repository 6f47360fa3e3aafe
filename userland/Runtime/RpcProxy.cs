using System.Reflection;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The object <see cref="Rpc.Proxy{TService}"/> returns, and the stand-in the lambda of <see cref="Rpc.Call{TService, TResult}"/>
/// runs against: each interface method is one rpc_call.
/// </summary>
/// <typeparam name="TService">The service interface.</typeparam>
public class RpcProxy<TService> : DispatchProxy where TService : class
{
    // One stand-in per host thread (= simulated thread) and interface: Rpc.Call aims it at its target for one lambda.
    [ThreadStatic, HostState("a reusable stand-in object; Rpc.Call aims it at its target for one lambda, so it carries nothing from one call to the next")]
    private static RpcProxy<TService>? t_standIn;

    private readonly RpcInterface _contract = RpcInterface.Of(typeof(TService));

    /// <summary>The kernel's object handle the calls go to.</summary>
    public ulong Target { get; internal set; }

    /// <summary>True while a <see cref="Rpc.TryCall{TService}"/> runs: results are recorded, not thrown.</summary>
    internal bool Raw { get; set; }

    /// <summary>Calls made since <see cref="Raw"/> was set.</summary>
    internal int Calls { get; set; }

    /// <summary>The raw result of the last call made while <see cref="Raw"/>.</summary>
    internal long LastRaw { get; set; }

    /// <summary>This thread's stand-in for <typeparamref name="TService"/>.</summary>
    internal static RpcProxy<TService> StandIn => t_standIn ??= (RpcProxy<TService>)(object)Create<TService, RpcProxy<TService>>();

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        int method = _contract.IndexOf(targetMethod);
        args ??= [];
        Span<ulong> a = stackalloc ulong[4];
        for (int i = 0; i < args.Length; i++) a[i] = RpcInterface.ToWord(args[i]);
        long result = Rpc.CallRaw(Target, method, args.Length, a[0], a[1], a[2], a[3]);
        if (!Raw) return _contract.Results[method](Rpc.Checked(result));
        Calls++;
        LastRaw = result;
        return _contract.Results[method](result is >= Rpc.ErrorFloor and < 0 ? 0 : result);
    }
}
