using System.Linq.Expressions;
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
    /// Calls a method of a service object and returns its result: <c>Rpc.Call(sensor, s =&gt; s.Get())</c>. Throws
    /// SyscallException for results in the error range (the kernel refused, or the callee faulted: PeerFaulted).
    /// </summary>
    public static TResult Call<TService, TResult>(RpcHandle<TService> target, Expression<Func<TService, TResult>> call) where TService : class =>
        RpcResult<TResult>.FromLong(Checked(Invoke(target, call)));

    /// <summary>Calls a method whose result is not needed (a void method, say); throws as <see cref="Call{TService, TResult}"/> does.</summary>
    public static void Call<TService>(RpcHandle<TService> target, Expression<Action<TService>> call) where TService : class =>
        Checked(Invoke(target, call));

    /// <summary>
    /// An object implementing <typeparamref name="TService"/> whose every method makes an rpc_call to
    /// <paramref name="target"/>: <c>Rpc.Proxy(sensor).Get()</c>. As type-checked as <see cref="Call{TService, TResult}"/>
    /// and cheaper per call (no expression tree; arguments are boxed). Error results throw SyscallException.
    /// </summary>
    public static TService Proxy<TService>(RpcHandle<TService> target) where TService : class
    {
        TService proxy = DispatchProxy.Create<TService, RpcProxy<TService>>();
        ((RpcProxy<TService>)(object)proxy).Target = target.Id;
        return proxy;
    }

    /// <summary>Calls a method and returns rpc_call's raw result (negative = error), without throwing.</summary>
    public static long TryCall<TService>(RpcHandle<TService> target, Expression<Action<TService>> call) where TService : class =>
        Invoke(target, call);

    /// <summary>The raw call: vtable index from the expression's method, argument words from its arguments.</summary>
    public static long CallRaw(ulong target, int method, int argc, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0) =>
        Sys.Syscall(SyscallNumber.RpcCall, target, (uint)method | (ulong)(uint)argc << 16, a0, a1, a2, a3);

    private static long Invoke<TService>(RpcHandle<TService> target, LambdaExpression call) where TService : class
    {
        if (call.Body is not MethodCallExpression { Object: ParameterExpression p } body || p != call.Parameters[0])
            throw new ArgumentException("an RPC call is one method call on the lambda's parameter, e.g. s => s.Get()", nameof(call));
        int method = RpcInterface.Of(typeof(TService)).IndexOf(body.Method);
        Span<ulong> a = stackalloc ulong[4];
        for (int i = 0; i < body.Arguments.Count; i++) a[i] = Evaluate(body.Arguments[i], p);
        return CallRaw(target.Id, method, body.Arguments.Count, a[0], a[1], a[2], a[3]);
    }

    // Arguments are values computed by the caller: constants and captured variables are read directly, anything
    // else is compiled (slower, still correct). The service parameter itself cannot be an argument.
    private static ulong Evaluate(Expression e, ParameterExpression service) => e switch
    {
        ConstantExpression c => RpcInterface.ToWord(c.Value),
        MemberExpression { Expression: ConstantExpression c, Member: FieldInfo f } => RpcInterface.ToWord(f.GetValue(c.Value)),
        MemberExpression { Expression: null, Member: FieldInfo f } => RpcInterface.ToWord(f.GetValue(null)),
        // An implicit widening (an int passed for a long): the word is the same, and the callee narrows it back.
        UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked, Operand: var o } u
            when RpcInterface.IsWord(u.Type) && RpcInterface.IsWord(o.Type) && u.Type != typeof(bool) && o.Type != typeof(bool) => Evaluate(o, service),
        _ when UsesParameter(e, service) => throw new ArgumentException("an RPC argument cannot use the service object"),
        _ => RpcInterface.ToWord(Expression.Lambda<Func<object?>>(Expression.Convert(e, typeof(object))).Compile()()),
    };

    private static bool UsesParameter(Expression e, ParameterExpression p)
    {
        var finder = new ParameterFinder(p);
        finder.Visit(e);
        return finder.Found;
    }

    internal static long Checked(long result) =>
        result is >= ErrorFloor and < 0 ? throw new SyscallException(SyscallNumber.RpcCall, (ErrorCode)result) : result;

    private sealed class ParameterFinder(ParameterExpression p) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= node == p;
            return node;
        }
    }
}
