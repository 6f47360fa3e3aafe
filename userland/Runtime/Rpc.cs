using System.Reflection;
using System.Text;
using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// RPC for C# programs (docs/rpc.md): export an object behind an interface, call its methods from another process
/// with <c>Rpc.Call(sensor, s =&gt; s.Get())</c>. The compiler checks the method, the argument types and their count,
/// as for a direct call: no IDL, no generated code. Each call is one rpc_call syscall; the method runs on the
/// calling thread with the callee's memory and the caller's SHARED buffers granted for the duration.
/// Every method uses the <see cref="Runtime.Sys"/> of the code running now (<see cref="Sys.Current"/>).
/// </summary>
public static class Rpc
{
    /// <summary>Results from -4095 to -1 are errors (kernel <see cref="ErrorCode"/>s, or ones a service returns).</summary>
    public const long ErrorFloor = -4095;

    /// <summary>
    /// The Sys of the running code. Inside a service method this is the callee's view: its memory accesses go through
    /// the grant, its syscalls act for the callee process.
    /// </summary>
    public static Sys Sys => Sys.Current ?? throw new InvalidOperationException("no simulated thread runs on this host thread");

    /// <summary>
    /// Registers <paramref name="implementation"/> as an RPC target through its interface <typeparamref name="TService"/>,
    /// under <paramref name="name"/> (for <see cref="Lookup{TService}"/>) or unnamed. Throws ArgumentException when the
    /// interface does not fit RPC (over 4 arguments, non-integer types), SyscallException on a kernel refusal.
    /// </summary>
    public static RpcHandle<TService> Export<TService>(TService implementation, string? name = null) where TService : class
    {
        ArgumentNullException.ThrowIfNull(implementation);
        RpcInterface contract = RpcInterface.Of(typeof(TService));
        Sys sys = Sys;
        byte[] nameBytes = name is null ? [] : Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length > 32) throw new ArgumentException("service names have at most 32 bytes", nameof(name));
        ulong scratch = sys.Scratch(SyscallNumber.RpcExport);
        sys.Memory.Write(scratch, contract.ArgCounts);
        sys.Memory.Write(scratch + 64, nameBytes);
        ulong entry = sys.RegisterEntry(new ServiceBinding(implementation, contract));
        long handle = sys.Syscall(SyscallNumber.RpcExport, entry, scratch, (ulong)contract.ArgCounts.Length, nameBytes.Length == 0 ? 0 : scratch + 64, (ulong)nameBytes.Length);
        return new RpcHandle<TService>((ulong)Sys.Checked(SyscallNumber.RpcExport, handle));
    }

    /// <summary>The object exported under <paramref name="name"/>; throws SyscallException (NoSuchObject, ServiceRestarting).</summary>
    public static RpcHandle<TService> Lookup<TService>(string name) where TService : class
    {
        long r = TryLookup(name);
        return new RpcHandle<TService>((ulong)Sys.Checked(SyscallNumber.RpcLookup, r));
    }

    /// <summary>rpc_lookup's raw result: the handle, or a negative <see cref="ErrorCode"/>.</summary>
    public static long TryLookup(string name)
    {
        Sys sys = Sys;
        byte[] bytes = Encoding.ASCII.GetBytes(name);
        if (bytes.Length is 0 or > 32) return (long)ErrorCode.InvalidArgument;
        ulong scratch = sys.Scratch(SyscallNumber.RpcLookup);
        sys.Memory.Write(scratch, bytes);
        return sys.Syscall(SyscallNumber.RpcLookup, scratch, (ulong)bytes.Length);
    }

    /// <summary>Withdraws an object this process exported: later calls get NoSuchObject.</summary>
    public static void Unexport<TService>(RpcHandle<TService> target) where TService : class =>
        Sys.Checked(SyscallNumber.RpcUnexport, Sys.Syscall(SyscallNumber.RpcUnexport, target.Id));

    /// <summary>Maps a zeroed SHARED buffer of <paramref name="length"/> bytes: callees of this process may use it during calls.</summary>
    public static ulong Shared(ulong length) => (ulong)Sys.Checked(SyscallNumber.RpcShared, Sys.Syscall(SyscallNumber.RpcShared, length));

    /// <summary>
    /// Calls a method of a service object and returns its result: <c>Rpc.Call(sensor, s =&gt; s.Get())</c>. The lambda
    /// runs at once with a stand-in for the service whose every method is one rpc_call (see <see cref="Proxy{TService}"/>),
    /// so the compiler checks the call as a direct one and no expression tree is built. Throws SyscallException for
    /// results in the error range (the kernel refused, or the callee faulted: PeerFaulted).
    /// </summary>
    public static TResult Call<TService, TResult>(RpcHandle<TService> target, Func<TService, TResult> call) where TService : class
    {
        ArgumentNullException.ThrowIfNull(call);
        using var scope = new RpcCallScope<TService>(target, raw: false);
        return call(scope.Service);
    }

    /// <summary>Calls a method whose result is not needed (a void method, say); throws as <see cref="Call{TService, TResult}"/> does.</summary>
    public static void Call<TService>(RpcHandle<TService> target, Action<TService> call) where TService : class
    {
        ArgumentNullException.ThrowIfNull(call);
        using var scope = new RpcCallScope<TService>(target, raw: false);
        call(scope.Service);
    }

    /// <summary>
    /// An object implementing <typeparamref name="TService"/> whose every method makes an rpc_call to
    /// <paramref name="target"/>: <c>Rpc.Proxy(sensor).Get()</c>. As type-checked as <see cref="Call{TService, TResult}"/>;
    /// keep it to call often without a lambda. Error results throw SyscallException.
    /// </summary>
    public static TService Proxy<TService>(RpcHandle<TService> target) where TService : class
    {
        TService proxy = DispatchProxy.Create<TService, RpcProxy<TService>>();
        ((RpcProxy<TService>)(object)proxy).Target = target.Id;
        return proxy;
    }

    /// <summary>
    /// Calls a method and returns rpc_call's raw result (negative = error) without throwing: <c>Rpc.TryCall(sensor, s =&gt;
    /// s.Get())</c>. The lambda must make exactly one call (ArgumentException otherwise).
    /// </summary>
    public static long TryCall<TService>(RpcHandle<TService> target, Action<TService> call) where TService : class
    {
        ArgumentNullException.ThrowIfNull(call);
        using var scope = new RpcCallScope<TService>(target, raw: true);
        call(scope.Service);
        return scope.RawResult;
    }

    /// <summary>The raw call: rpc_call(object, method | argc &lt;&lt; 16, a0..a3).</summary>
    public static long CallRaw(ulong target, int method, int argc, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0) =>
        Sys.Syscall(SyscallNumber.RpcCall, target, (uint)method | (ulong)(uint)argc << 16, a0, a1, a2, a3);

    internal static long Checked(long result) =>
        result is >= ErrorFloor and < 0 ? throw new SyscallException(SyscallNumber.RpcCall, (ErrorCode)result) : result;

}
