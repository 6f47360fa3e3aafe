using System.Collections.Immutable;
using MicroKernel.Scheduling;

namespace MicroKernel.Userland.Examples.Fuzz;

/// <summary>
/// Draws syscall arguments from a seed, biased to the edges where kernels break: 0 and -1, page boundaries, the
/// kernel half and non-canonical addresses, unmapped and read-only pages, other processes' pids and handles,
/// closed and reused handles, huge counts. An argument's name ("addr", "length", "handle"...) picks its pool, so a
/// syscall family added later is fuzzed sensibly without a change here. One instance per process load: its state
/// (the generator, what this process mapped and was given) is the process's own.
/// </summary>
public sealed class FuzzArguments
{
    private const ulong Page = 4096;
    private readonly SplitMix64 _rng;
    private readonly int _processes;
    private readonly List<(ulong Address, ulong Length)> _mappings = [];
    private readonly List<ulong> _ids = [];
    private readonly List<ulong> _objects = [];

    /// <summary>A drawer for one process load of a kernel with <paramref name="processes"/> fuzz processes.</summary>
    public FuzzArguments(ulong seed, int processes)
    {
        _rng = new SplitMix64(seed);
        _processes = processes;
    }

    /// <summary>The program's data page: names, a vtable, a handle array and text (0 when it could not be mapped).</summary>
    public ulong Data { get; set; }

    /// <summary>A page the program mapped read-only (0 when none).</summary>
    public ulong ReadOnly { get; set; }

    /// <summary>The "code addresses" of the program's thread body, page-send handler and exported service object.</summary>
    public (ulong Thread, ulong Handler, ulong Service) Entries { get; set; }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound) => _rng.NextInt(bound);

    /// <summary>64 random bits.</summary>
    public ulong Bits() => _rng.Next();

    /// <summary>True with probability 1/<paramref name="n"/>.</summary>
    public bool OneIn(int n) => _rng.NextInt(n) == 0;

    /// <summary>Remembers a mapping the kernel gave this process (map, rpc_shared), to aim later pointers at.</summary>
    public void Mapped(ulong address, ulong length)
    {
        if (_mappings.Count < 16) _mappings.Add((address, length));
        else _mappings[Next(16)] = (address, length);
    }

    /// <summary>Remembers an id the kernel returned (a handle, a tid, a service object), to pass back later, perhaps closed.</summary>
    public void Returned(ulong id)
    {
        if (_ids.Count < 16) _ids.Add(id);
        else _ids[Next(16)] = id;
    }

    /// <summary>Remembers an RPC service object's handle (from rpc_export or rpc_lookup), to call it later.</summary>
    public void Service(ulong handle)
    {
        if (_objects.Count < 8) _objects.Add(handle);
        else _objects[Next(8)] = handle;
    }

    /// <summary>A value for the argument called <paramref name="name"/>: mostly from its own pool, sometimes any edge value.</summary>
    public ulong For(string name)
    {
        if (OneIn(10)) return Any();
        return name switch
        {
            "addr" or "buf" or "stack" or "stack_top" => Address(),
            "name" => Data != 0 && !OneIn(3) ? Data + 8 * (ulong)Next(8) : Address(),
            "vtable" => Data != 0 && !OneIn(3) ? Data + 64 : Address(),
            "handles" => Data != 0 && !OneIn(3) ? Data + 128 + 8 * (ulong)Next(4) : Address(),
            "entry" => Entry(),
            "length" => Length(),
            "namelen" or "name_len" => OneIn(3) ? Count() : OneIn(4) ? (ulong)Next(10) : 8,
            "nmethods" => OneIn(2) ? 4 : Count(),
            "prot" => Prot(),
            "pid" => Pid(),
            "object" => _objects.Count > 0 && OneIn(2) ? _objects[Next(_objects.Count)] : Id(),
            "tid" or "handle" or "conn" or "segment" => Id(),
            "type" => OneIn(4) ? Count() : (ulong)Next(4),
            "ticks" => Ticks(),
            "timeout" => OneIn(4) ? 0 : Ticks(), // 0 polls
            "flags" => Flags(),
            "method" => MethodWord(),
            "count" or "npages" => Count(),
            _ => ByPart(name),
        };
    }

    // A name no syscall used when this was written (a newer family's): guessed from its parts.
    private ulong ByPart(string name) =>
        name.Contains("addr", StringComparison.Ordinal) || name.Contains("buf", StringComparison.Ordinal) || name.Contains("ptr", StringComparison.Ordinal) ? Address()
        : name.Contains("len", StringComparison.Ordinal) || name.Contains("size", StringComparison.Ordinal) || name.Contains("offset", StringComparison.Ordinal) ? Length()
        : name.Contains("count", StringComparison.Ordinal) || name.Contains("pages", StringComparison.Ordinal) ? Count()
        : name.Contains("handle", StringComparison.Ordinal) || name.Contains("id", StringComparison.Ordinal) || name.Contains("key", StringComparison.Ordinal) ? Id()
        : name.Contains("tick", StringComparison.Ordinal) || name.Contains("timeout", StringComparison.Ordinal) ? Ticks()
        : name.Contains("prot", StringComparison.Ordinal) ? Prot()
        : name.Contains("flag", StringComparison.Ordinal) ? Flags()
        : Any();

    /// <summary>An edge value from any pool.</summary>
    public ulong Any() => Next(8) switch
    {
        0 => Address(),
        1 => Length(),
        2 => Count(),
        3 => Id(),
        4 => Ticks(),
        5 => Prot(),
        6 => Bits(),
        _ => Edge(),
    };

    /// <summary>A recorded argument, changed a little or a lot: +-1, +-a page, one bit flipped, or a fresh edge value.</summary>
    public ulong Mutate(ulong value, string name) => Next(6) switch
    {
        0 => value + 1,
        1 => value - 1,
        2 => OneIn(2) ? value + Page : value - Page,
        3 => value ^ (1UL << Next(64)),
        4 => For(name),
        _ => Any(),
    };

    private static readonly ImmutableArray<ulong> EdgeValues = [0, 1, ulong.MaxValue, 2, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF, 0x1_0000_0000];

    private ulong Edge() => EdgeValues[Next(EdgeValues.Length)];

    private static readonly ImmutableArray<ulong> AddressEdges =
    [
        0, 1, 8, 0xFFF, 0x1000, 0x1008, 0x10000000, 0x10003FF8, 0x10004000, 0x20000000, 0x400000,
        0x7FFF_FFFF_F000, 0x7FFF_FFFF_FFF8, 0x7FFF_FFFF_FFFF, 0x0000_8000_0000_0000, 0xFFFF_8000_0000_0000,
        0xFFFF_FFFF_FFFF_F000, 0xFFFF_FFFF_FFFF_FFF8, ulong.MaxValue,
    ];

    /// <summary>A pointer: around this process's own mappings (first byte, last byte, one past, a page before), the
    /// read-only page, the data page, fixed edges (kernel half, non-canonical, top of user space), MPU-style physical
    /// addresses, or a random page.</summary>
    public ulong Address()
    {
        switch (Next(8))
        {
            case 0:
            case 1:
                if (_mappings.Count == 0) goto case 2;
                (ulong a, ulong len) = _mappings[Next(_mappings.Count)];
                return Next(7) switch
                {
                    0 => a,
                    1 => a + len - 1,
                    2 => a + len - 8,
                    3 => a + len,
                    4 => a - Page,
                    5 => a + Page,
                    _ => a + (ulong)Next(8) * 8,
                };
            case 2:
                return Next(3) switch { 0 when ReadOnly != 0 => ReadOnly + (ulong)Next(2) * 8, 1 when Data != 0 => Data + (ulong)Next(512) * 8, _ => 0x10000000 + (ulong)Next(8) * Page };
            case 3:
            case 4:
                return AddressEdges[Next(AddressEdges.Length)];
            case 5:
                return (ulong)Next(1024) * Page; // under an MPU a fixed map names physical frames
            case 6:
                return 0x10000000 + (ulong)Next(4096) * Page;
            default:
                return 0x10000000 + (ulong)Next(1 << 24);
        }
    }

    private static readonly ImmutableArray<ulong> Lengths =
    [
        0, 1, 8, 0xFFF, 0x1000, 0x1001, 0x2000, 0x3000, 0x4000, 0x8000, 0x10000, 0x10001, 0x100000, 64UL << 20, (64UL << 20) + 1,
        1UL << 32, 1UL << 47, ulong.MaxValue, ulong.MaxValue - 0xFFF, 0x7FFF_FFFF_FFFF_FFFF,
    ];

    /// <summary>A byte length: whole pages and one byte either side, the limits (64 KiB writes, 64 MiB shared), huge.</summary>
    public ulong Length() => OneIn(3) ? (ulong)(1 + Next(8)) * Page : Lengths[Next(Lengths.Length)];

    private static readonly ImmutableArray<ulong> Counts =
    [
        0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 32, 33, 48, 49, 64, 65, 4096, 65535, 65536, 1UL << 32, (1UL << 32) + 1,
        1UL << 40, (1UL << 40) + 1, ulong.MaxValue, 0x7FFF_FFFF_FFFF_FFFF,
    ];

    /// <summary>A count: small ones mostly, then every limit the syscalls document and one past it, then huge.</summary>
    public ulong Count() => OneIn(2) ? (ulong)Next(6) : Counts[Next(Counts.Length)];

    /// <summary>A pid: this kernel's fuzz processes, 0, one past them, or nonsense.</summary>
    public ulong Pid() => Next(6) switch
    {
        0 => 0,
        1 => (ulong)_processes + 1,
        2 => Edge(),
        _ => (ulong)(1 + Next(_processes)),
    };

    /// <summary>A handle or id: one the kernel returned (maybe closed or reused since), a small one, or nonsense.</summary>
    public ulong Id() => Next(5) switch
    {
        0 or 1 when _ids.Count > 0 => _ids[Next(_ids.Count)],
        2 => Edge(),
        3 => (ulong)Next(70),
        _ => (ulong)(1 + Next(8)),
    };

    private static readonly ImmutableArray<ulong> TickEdges = [0, ulong.MaxValue, 1UL << 40, (1UL << 40) + 1, 0x8000_0000_0000_0000, 1UL << 32];

    /// <summary>A tick count or timeout: short mostly (a run must go on), sometimes forever, the limit, or past it.</summary>
    public ulong Ticks() => Next(8) switch
    {
        0 => TickEdges[Next(TickEdges.Length)],
        1 => (ulong)Next(200),
        _ => (ulong)(1 + Next(4)), // not 0: pause(0) waits with no limit
    };

    /// <summary>Protection bits: the eight valid ones mostly, then reserved bits.</summary>
    public ulong Prot() => Next(8) switch
    {
        0 => (ulong)(8 << Next(4)),
        1 => Edge(),
        _ => (ulong)Next(8),
    };

    /// <summary>Flag words: the low bits mostly, then reserved high ones.</summary>
    public ulong Flags() => Next(6) switch
    {
        0 => 1UL << Next(64),
        1 => (ulong)Next(256),
        2 or 3 => (ulong)Next(16),
        _ => (ulong)Next(3), // the valid ones of notify_create: none, open, lock
    };

    /// <summary>rpc_call's method word: method | argc &lt;&lt; 16, sometimes with reserved high bits.</summary>
    public ulong MethodWord()
    {
        // Half the time a method of the fuzz service with its own argument count (IFuzzService): calls that run.
        ulong word = OneIn(2) ? Next(4) switch { 0 => 0, 1 => 1 | 1UL << 16, 2 => 2 | 1UL << 16, _ => 3 | 4UL << 16 }
            : (uint)Next(5) | (ulong)(uint)Next(6) << 16;
        return OneIn(8) ? word | 1UL << (32 + Next(32)) : word;
    }

    /// <summary>A code address: the program's real entries, main, another slot of the entry table, or not code at all.</summary>
    public ulong Entry() => Next(6) switch
    {
        0 => Entries.Thread,
        1 => Entries.Handler,
        2 => Entries.Service,
        3 => 0x400000 + 16 * (ulong)Next(8),
        4 => 0x400000 + (ulong)Next(16),
        _ => Address(),
    };
}
