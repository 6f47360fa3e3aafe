namespace MicroKernel.Userland.Runtime;

/// <summary>
/// Aims this thread's stand-in at one target for one <see cref="Rpc.Call{TService, TResult}"/> lambda, and puts back
/// what it was aimed at before: a service method that runs inside the call (on this same thread) may make calls of
/// its own through the same stand-in.
/// </summary>
internal ref struct RpcCallScope<TService> where TService : class
{
    private readonly RpcProxy<TService> _proxy;
    private readonly ulong _target;
    private readonly bool _raw;
    private readonly int _calls;
    private readonly long _lastRaw;

    public RpcCallScope(RpcHandle<TService> target, bool raw)
    {
        _proxy = RpcProxy<TService>.StandIn;
        (_target, _raw, _calls, _lastRaw) = (_proxy.Target, _proxy.Raw, _proxy.Calls, _proxy.LastRaw);
        _proxy.Target = target.Id;
        _proxy.Raw = raw;
        _proxy.Calls = 0;
    }

    /// <summary>The stand-in, typed as the service interface.</summary>
    public readonly TService Service => (TService)(object)_proxy;

    /// <summary>The raw result of the one call a TryCall lambda made.</summary>
    public readonly long RawResult => _proxy.Calls == 1
        ? _proxy.LastRaw
        : throw new ArgumentException($"an Rpc.TryCall lambda makes exactly one call on its parameter, e.g. s => s.Get(); this one made {_proxy.Calls}");

    /// <summary>Restores the stand-in for an enclosing call.</summary>
    public readonly void Dispose() => (_proxy.Target, _proxy.Raw, _proxy.Calls, _proxy.LastRaw) = (_target, _raw, _calls, _lastRaw);
}
