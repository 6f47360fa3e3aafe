using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The control process of the RPC demo (the CMRX seed's example): reads the temperature over rpc_call and switches
/// the fan on above 25.0 °C (off again below 22.0). Survives a sensor restart: a PeerFaulted call is retried once
/// the supervisor has the sensor back. First argument: control rounds (default 12).
/// </summary>
public sealed class FanControlProgram : UserProgram
{
    /// <summary>Fan on above this (tenths of a degree).</summary>
    public const long OnAbove = 250;

    /// <summary>Fan off below this.</summary>
    public const long OffBelow = 220;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        long rounds = sys.Args.Count > 0 && long.TryParse(sys.Args[0], CultureInfo.InvariantCulture, out long r) && r > 0 ? r : 12;
        var sensor = Rpc.Lookup<ITemperatureSensor>(WaitFor(sys, "sensor"));
        var fan = Rpc.Lookup<IFan>(WaitFor(sys, "fan"));
        Rpc.Call(sensor, s => s.Configure(5, 12));
        bool on = false;
        for (long i = 0; i < rounds; i++)
        {
            long temp = Rpc.TryCall(sensor, s => s.Get());
            if (temp < 0)
            {
                sys.PrintLine($"control: sensor call failed: {((ErrorCode)temp).Message()}; waiting for the supervisor");
                while ((temp = Rpc.TryCall(sensor, s => s.Get())) == (long)ErrorCode.ServiceRestarting) sys.Sleep(1);
                if (temp < 0)
                {
                    // The sensor is gone for good (killed, or out of restarts): stop the fan too, or its process
                    // would sleep until the tick limit waiting for a Stop that never comes.
                    sys.PrintLine($"control: the sensor is gone: {((ErrorCode)temp).Message()}; stopping the fan");
                    Rpc.TryCall(fan, f => f.Stop());
                    return 1;
                }
            }
            sys.PrintLine($"control: {temp / 10}.{temp % 10} C");
            if (on ? temp < OffBelow : temp > OnAbove)
            {
                on = !on;
                Rpc.Call(fan, f => f.SetPower(on));
            }
            sys.Sleep(7);
        }
        // The history lands in a SHARED buffer: the sensor writes it during the call, and only then.
        ulong buffer = Rpc.Shared(4096);
        long n = Rpc.Call(sensor, s => s.History(buffer, 8));
        var readings = new List<string>();
        for (long i = 0; i < n; i++) readings.Add(((long)sys.Memory.ReadUInt64(buffer + (ulong)i * 8)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        sys.PrintLine($"control: last readings {string.Join(" ", readings)}");
        Rpc.Call(sensor, s => s.Stop());
        Rpc.Call(fan, f => f.Stop());
        return 0;
    }

    private static string WaitFor(Sys sys, string name)
    {
        while (Rpc.TryLookup(name) < 0) sys.Yield();
        return name;
    }
}
