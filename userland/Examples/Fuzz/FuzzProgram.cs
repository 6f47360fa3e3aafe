using System.Text;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples.Fuzz;

/// <summary>
/// The program <c>mk fuzz</c> runs in every fuzz process (docs/cli.md): it issues random raw syscalls of every
/// family, forever, with arguments from <see cref="FuzzArguments"/>, and never checks a result: judging the kernel is
/// the host's job (the invariant catalogue after every syscall, the documented errors). It sets up just enough to
/// reach deep paths: a data page with names, a vtable and a handle array, a read-only page, page-send handlers, an
/// exported service whose methods issue syscalls too, a public notification object. Its threads, handlers and
/// service calls fuzz as well. Killed by its own fault, it is restarted by its supervisor policy with a fresh draw.
/// </summary>
public sealed class FuzzProgram(FuzzSettings settings) : UserProgram
{
    private const ulong DataVtable = 64, DataHandles = 128, DataText = 256;

    private FuzzArguments _args = new(settings.Seed, settings.Processes);

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        Setup(sys);
        while (true) Step(sys);
    }

    /// <summary>The seed of one process load: the kernel's fuzz seed, the pid and the restart generation, mixed.</summary>
    public static ulong SeedOf(ulong seed, int pid, long generation) =>
        seed ^ (ulong)pid * 0x9E3779B97F4A7C15UL ^ (ulong)generation * 0xC2B2AE3D27D4EB4FUL;

    private void Setup(Sys sys)
    {
        int pid = sys.Pid;
        _args = new FuzzArguments(SeedOf(settings.Seed, pid, sys.Generation), settings.Processes);
        _args.Entries = (sys.RegisterEntry(new Func<Sys, ulong, long>(ThreadBody)), sys.RegisterEntry(new Func<Sys, PageMessage, bool>(Handle)),
            sys.RegisterEntry(new ServiceBinding(new FuzzService(this), RpcInterface.Of(typeof(IFuzzService)))));
        long data = sys.Syscall(SyscallNumber.Map, 0, 4096, 3);
        if (data > 0)
        {
            _args.Data = (ulong)data;
            _args.Mapped((ulong)data, 4096);
            // Eight names every process knows ("fuzzob01".."fuzzob08"), so opens and lookups meet other processes' objects.
            for (int i = 0; i < 8; i++) sys.Memory.Write(_args.Data + (ulong)(8 * i), Encoding.ASCII.GetBytes($"fuzzob0{i + 1}"));
            sys.Memory.Write(_args.Data + DataVtable, RpcInterface.Of(typeof(IFuzzService)).ArgCounts);
            sys.Memory.Write(_args.Data + DataVtable + 4, (ReadOnlySpan<byte>)[5, 0xFF, 0]);
            for (int i = 0; i < 16; i++) sys.Memory.WriteUInt64(_args.Data + DataHandles + (ulong)(8 * i), (ulong)(1 + i));
            sys.Memory.Write(_args.Data + DataText, Encoding.ASCII.GetBytes("fuzz: hello from a fuzz process\n"));
        }
        long readOnly = sys.Syscall(SyscallNumber.Map, 0, 4096, 1);
        if (readOnly > 0)
        {
            _args.ReadOnly = (ulong)readOnly;
            _args.Mapped((ulong)readOnly, 4096);
        }
        sys.Syscall(SyscallNumber.RegisterHandler, 1, _args.Entries.Handler);
        sys.Syscall(SyscallNumber.RegisterHandler, 2, _args.Entries.Handler);
        if (_args.Data != 0)
        {
            long service = sys.Syscall(SyscallNumber.RpcExport, _args.Entries.Service, _args.Data + DataVtable, 4, _args.Data + (ulong)(8 * ((pid - 1) % 8)), 8);
            if (service > 0) _args.Service((ulong)service);
            Learn(sys.Syscall(SyscallNumber.NotifyCreate, _args.Data + (ulong)(8 * (pid % 8)), 8, 0));
        }
    }

    /// <summary>
    /// One random syscall: a fresh one, or (when the settings hold recorded calls) a mutated recorded one.
    /// <paramref name="inCall"/>: inside an RPC method, where thread_exit is refused (so it may be drawn often).
    /// </summary>
    private void Step(Sys sys, bool inCall = false)
    {
        if (settings.Corpus.Length > 0 && _args.OneIn(4))
        {
            Mutated(sys);
            return;
        }
        if (_args.OneIn(96))
        {
            // A plain load or store, not a syscall: through the MMU/MPU like any, so it may fault (copy-on-write,
            // a page another call just unmapped or made read-only). A fault kills this load; the supervisor restarts it.
            ulong at = _args.Address();
            if (_args.OneIn(2)) sys.Memory.ReadUInt64(at);
            else sys.Memory.WriteUInt64(at, _args.Bits());
            return;
        }
        if (_args.OneIn(100))
        {
            // A number no syscall has.
            long[] unknown = [-1, 13, 19, 23, 45, 255, 256, 1L << 32, long.MinValue];
            sys.Syscall((SyscallNumber)unknown[_args.Next(unknown.Length)], _args.Any(), _args.Any());
            return;
        }
        FuzzTarget t = Draw(inCall);
        Span<ulong> a = stackalloc ulong[6];
        for (int i = 0; i < 6; i++) a[i] = i < t.ArgNames.Length ? _args.For(t.ArgNames[i]) : _args.OneIn(16) ? _args.Any() : 0;
        long r = sys.Syscall((SyscallNumber)t.Number, a[0], a[1], a[2], a[3], a[4], a[5]);
        Learn(t, a, r);
    }

    // Every syscall equally often, except the two that end a process or thread: those are rare, so processes live long
    // (one in 32 draws of them goes ahead: with the ~40 syscalls of the table, an exit every ~1300 calls).
    private FuzzTarget Draw(bool inCall)
    {
        while (true)
        {
            FuzzTarget t = settings.Targets[_args.Next(settings.Targets.Length)];
            if (t.Name is not ("exit" or "thread_exit") || _args.OneIn(inCall && t.Name == "thread_exit" ? 2 : 32)) return t;
        }
    }

    private void Mutated(Sys sys)
    {
        FuzzCall c = settings.Corpus[_args.Next(settings.Corpus.Length)];
        FuzzTarget? t = null;
        foreach (FuzzTarget x in settings.Targets)
            if (x.Number == c.Number) t = x;
        if (t is { Name: "exit" or "thread_exit" } && !_args.OneIn(64)) return;
        Span<ulong> a = [c.A0, c.A1, c.A2, c.A3, c.A4, c.A5];
        for (int i = 0; i < 6; i++)
            if (_args.OneIn(3)) a[i] = _args.Mutate(a[i], t is not null && i < t.ArgNames.Length ? t.ArgNames[i] : "");
        long r = sys.Syscall((SyscallNumber)c.Number, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (t is not null) Learn(t, a, r);
    }

    // What a successful call gave is worth aiming at later: new mappings, handles, tids, service objects.
    private void Learn(FuzzTarget t, ReadOnlySpan<ulong> a, long result)
    {
        if (result <= 0) return;
        switch (t.Name)
        {
            case "map":
                _args.Mapped((ulong)result, (a[1] + 4095) & ~4095UL);
                break;
            case "rpc_shared":
                _args.Mapped((ulong)result, (a[0] + 4095) & ~4095UL);
                break;
            case "rpc_export" or "rpc_lookup":
                _args.Service((ulong)result);
                _args.Returned((ulong)result);
                break;
            case "notify_create" or "thread_create":
                _args.Returned((ulong)result);
                break;
            default:
                // A family's calls that make something return its id (shm_connect, shm_create...) or its address.
                if (t.Name.Contains("address", StringComparison.Ordinal)) _args.Mapped((ulong)result, 4096);
                else if (t.Name.Contains("create", StringComparison.Ordinal) || t.Name.Contains("connect", StringComparison.Ordinal) || t.Name.Contains("open", StringComparison.Ordinal))
                    _args.Returned((ulong)result);
                break;
        }
    }

    private void Learn(long result)
    {
        if (result > 0) _args.Returned((ulong)result);
    }

    // A thread created by a fuzzed thread_create: fuzzes too, and ends now and then by returning.
    private long ThreadBody(Sys sys, ulong argument)
    {
        while (!_args.OneIn(256)) Step(sys);
        return (long)argument;
    }

    // A page-send handler: a syscall or two from inside the upcall, then accept or abandon the pages.
    private bool Handle(Sys sys, PageMessage message)
    {
        for (int i = _args.Next(3); i > 0; i--) Step(sys);
        return !_args.OneIn(4);
    }

    // The exported service: its methods run on the caller's thread acting for this process. Their results are never
    // negative, so a negative rpc_call result is the kernel's error and the host can judge it.
    private sealed class FuzzService(FuzzProgram owner) : IFuzzService
    {
        public long Zero() => 0;

        public long Echo(long a) => a & long.MaxValue;

        public long Fuzz(long count)
        {
            for (long i = count & 3; i > 0; i--) owner.Step(Rpc.Sys, inCall: true);
            return count & long.MaxValue;
        }

        public long Sum(long a, long b, long c, long d) => (a + b + c + d) & long.MaxValue;
    }
}
