using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// A C# client of the C service kvstore.c (sim/scenarios/c-rpc.scn): the same typed <see cref="Rpc"/> calls as for a
/// C# service; the kernel runs the C method on this thread. It stores keys 200..203, reads one through the C
/// service's fallback (a nested C-to-C call), reads the rest into a SHARED buffer, and finally puts 999 = 1 to tell
/// the C client it is done. Arguments: the service's name and its fallback's (default "kv", "defaults"), and "stop"
/// to stop both services at the end (when no C client does).
/// Exit code: 0 when every check passed, else the number of the first failed check.
/// </summary>
public sealed class KeyValueClientProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        var kv = Rpc.Lookup<IKeyValue>(WaitFor(sys, sys.Args.Count > 0 ? sys.Args[0] : "kv"));
        var defaults = Rpc.Lookup<IKeyValue>(WaitFor(sys, sys.Args.Count > 1 ? sys.Args[1] : "defaults"));
        for (long key = 200; key < 204; key++) Rpc.Call(kv, s => s.Put(key, key * 3));
        if (Rpc.Call(kv, s => s.Get(202)) != 606) return 1;
        Rpc.Call(defaults, s => s.Put(250, 25));
        long nested = Rpc.Call(kv, s => s.Get(250));
        sys.PrintLine($"kv-client: nested get 250 = {nested}");
        if (nested != 25) return 2;

        // The C method writes the values into this SHARED buffer during the call.
        ulong keys = Rpc.Shared(4096);
        for (ulong i = 0; i < 4; i++) sys.Memory.WriteUInt64(keys + i * 8, 200 + i);
        if (Rpc.Call(kv, s => s.GetMany(keys, 4)) != 4) return 3;
        long sum = 0;
        for (ulong i = 0; i < 4; i++) sum += (long)sys.Memory.ReadUInt64(keys + i * 8);
        sys.PrintLine($"kv-client: get_many read {sum}");
        if (sum != 3 * (200 + 201 + 202 + 203)) return 4;
        Rpc.Call(kv, s => s.Put(999, 1));
        if (sys.Args.Count > 2 && sys.Args[2] == "stop")
        {
            Rpc.Call(kv, s => s.Stop());
            if (defaults.Id != kv.Id) Rpc.Call(defaults, s => s.Stop());
        }
        sys.PrintLine("kv-client: all checks passed");
        return 0;
    }

    private static string WaitFor(Sys sys, string name)
    {
        while (Rpc.TryLookup(name) < 0) sys.Sleep(1);
        return name;
    }
}
