using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The vtable shape of a service interface: its methods in declaration order (method i of rpc_call is the i-th
/// method declared), each one's argument count, and a compiled invoker per method. Built once per interface type.
/// Methods take up to four arguments of integer types or bool and return void, an integer type or bool: the values
/// travel as 64-bit words, with no marshalling.
/// </summary>
internal sealed class RpcInterface
{
    [HostState("a cache of what reflection says about an interface type: the same for every process, written by no program")]
    private static readonly ConcurrentDictionary<Type, RpcInterface> Cache = new();
    private readonly Dictionary<MethodInfo, int> _index = [];

    private RpcInterface(Type type)
    {
        if (!type.IsInterface) throw new ArgumentException($"{type.Name}: an RPC service type must be an interface");
        // Metadata order is declaration order: the vtable layout the programmer wrote.
        Methods = type.GetMethods().OrderBy(m => m.MetadataToken).ToArray();
        if (Methods.Length is 0 or > 32) throw new ArgumentException($"{type.Name}: an RPC interface has 1..32 methods");
        ArgCounts = new byte[Methods.Length];
        Invokers = new Func<object, ulong, ulong, ulong, ulong, long>[Methods.Length];
        Results = new Func<long, object?>[Methods.Length];
        for (int i = 0; i < Methods.Length; i++)
        {
            MethodInfo m = Methods[i];
            ParameterInfo[] ps = m.GetParameters();
            if (ps.Length > 4) throw new ArgumentException($"{type.Name}.{m.Name}: RPC methods take at most 4 arguments");
            foreach (ParameterInfo p in ps)
                if (!IsWord(p.ParameterType) || p.ParameterType.IsByRef)
                    throw new ArgumentException($"{type.Name}.{m.Name}: argument {p.Name} is {p.ParameterType.Name}; RPC arguments are integers or bool");
            if (m.ReturnType != typeof(void) && !IsWord(m.ReturnType))
                throw new ArgumentException($"{type.Name}.{m.Name}: returns {m.ReturnType.Name}; RPC results are integers, bool or void");
            ArgCounts[i] = (byte)ps.Length;
            Invokers[i] = CompileInvoker(type, m);
            Results[i] = CompileResult(m.ReturnType);
            _index[m] = i;
        }
    }

    public MethodInfo[] Methods { get; }

    public byte[] ArgCounts { get; }

    public Func<object, ulong, ulong, ulong, ulong, long>[] Invokers { get; }

    /// <summary>Per method: rpc_call's result as the boxed return value (null for void), for proxies.</summary>
    public Func<long, object?>[] Results { get; }

    public static RpcInterface Of(Type type) => Cache.GetOrAdd(type, t => new RpcInterface(t));

    /// <summary>The vtable index of <paramref name="method"/>.</summary>
    public int IndexOf(MethodInfo method) =>
        _index.TryGetValue(method, out int i) ? i : throw new ArgumentException($"{method.Name} is not a method of the service interface");

    public static bool IsWord(Type t) => t == typeof(long) || t == typeof(ulong) || t == typeof(int) || t == typeof(uint)
        || t == typeof(short) || t == typeof(ushort) || t == typeof(byte) || t == typeof(sbyte) || t == typeof(bool) || t == typeof(char);

    /// <summary>A value of a word type as the 64-bit word rpc_call passes (signed types sign-extend).</summary>
    public static ulong ToWord(object? value) => value switch
    {
        long v => (ulong)v,
        ulong v => v,
        int v => (ulong)(long)v,
        uint v => v,
        short v => (ulong)(long)v,
        ushort v => v,
        sbyte v => (ulong)(long)v,
        byte v => v,
        char v => v,
        bool v => v ? 1UL : 0UL,
        _ => throw new ArgumentException($"{value?.GetType().Name ?? "null"} is not an RPC word"),
    };

    // (object, a0..a3) => (long)((TService)object).Method((T0)a0, ...): compiled once, so a call costs a delegate call.
    private static Func<object, ulong, ulong, ulong, ulong, long> CompileInvoker(Type type, MethodInfo m)
    {
        ParameterExpression target = Expression.Parameter(typeof(object), "target");
        ParameterExpression[] words = [.. Enumerable.Range(0, 4).Select(i => Expression.Parameter(typeof(ulong), $"a{i}"))];
        Expression[] args = [.. m.GetParameters().Select((p, i) => FromWord(words[i], p.ParameterType))];
        Expression call = Expression.Call(Expression.Convert(target, type), m, args);
        Expression body = m.ReturnType == typeof(void)
            ? Expression.Block(call, Expression.Constant(0L))
            : ToLong(call, m.ReturnType);
        return Expression.Lambda<Func<object, ulong, ulong, ulong, ulong, long>>(body, [target, .. words]).Compile();
    }

    private static Func<long, object?> CompileResult(Type t)
    {
        if (t == typeof(void)) return _ => null;
        ParameterExpression r = Expression.Parameter(typeof(long), "r");
        Expression value = t == typeof(bool) ? Expression.NotEqual(r, Expression.Constant(0L)) : Expression.Convert(r, t);
        return Expression.Lambda<Func<long, object?>>(Expression.Convert(value, typeof(object)), r).Compile();
    }

    internal static Expression FromWord(Expression word, Type t) =>
        t == typeof(bool) ? Expression.NotEqual(word, Expression.Constant(0UL)) : Expression.Convert(word, t);

    internal static Expression ToLong(Expression value, Type t) =>
        t == typeof(bool) ? Expression.Condition(value, Expression.Constant(1L), Expression.Constant(0L)) : Expression.Convert(value, typeof(long));
}

