using System.Globalization;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("RobustClient")]

namespace RobustClient;

/// <summary>
/// Assignment "robust-client" (README.md): takes R temperature readings from the "sensor" RPC service, which may
/// crash and be restarted by its supervisor in the middle of a call. Argument: R.
/// </summary>
public sealed class Client : UserProgram
{
    public override long Main(Sys sys)
    {
        long wanted = long.Parse(sys.Args[0], CultureInfo.InvariantCulture);
        while (Rpc.TryLookup("sensor") < 0 || Rpc.TryLookup("fan") < 0) sys.Yield();
        var sensor = Rpc.Lookup<ITemperatureSensor>("sensor");
        var fan = Rpc.Lookup<IFan>("fan");
        Rpc.Call(sensor, s => s.Configure(5, 12));
        long readings = 0;
        while (readings < wanted)
        {
            // TODO: Rpc.Call throws when the sensor faults during the call (PeerFaulted), and while its supervisor
            // restarts it (ServiceRestarting). Use Rpc.TryCall, which returns the negative ErrorCode instead: retry
            // (sleep a tick between tries) until the sensor answers again, configure the new sensor, and go on. If the
            // sensor is gone for good (any other error), print "client: sensor gone after K readings", stop the fan
            // and return 1.
            long temp = Rpc.Call(sensor, s => s.Get());
            sys.PrintLine($"client: {temp / 10}.{temp % 10} C");
            readings++;
            sys.Sleep(7);
        }
        sys.PrintLine($"client: {readings} readings");
        Rpc.Call(sensor, s => s.Stop());
        Rpc.Call(fan, f => f.Stop());
        return 0;
    }
}
