using System.Globalization;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("RobustClient")]

namespace RobustClient;

/// <summary>
/// Reference solution of assignment "robust-client": TryCall, retry through PeerFaulted and ServiceRestarting,
/// configure the restarted sensor again, give up cleanly when the sensor is gone. Argument: R.
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
            long temp = Rpc.TryCall(sensor, s => s.Get());
            if (temp is (long)ErrorCode.PeerFaulted or (long)ErrorCode.ServiceRestarting)
            {
                sys.PrintLine($"client: sensor call failed: {((ErrorCode)temp).Message()}; retrying");
                while ((temp = Rpc.TryCall(sensor, s => s.Configure(5, 12))) == (long)ErrorCode.ServiceRestarting) sys.Sleep(1);
                continue; // the reading is taken again with the new sensor
            }
            if (temp < 0)
            {
                sys.PrintLine($"client: sensor gone after {readings} readings");
                Rpc.TryCall(fan, f => f.Stop());
                return 1;
            }
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
