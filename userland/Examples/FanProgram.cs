using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The fan service of the RPC demo (sim/scenarios/rpc.scn): exports "fan" and keeps its state in its own memory,
/// which only its own threads and the threads running its methods (through an RPC grant) can reach.
/// </summary>
public sealed class FanProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        // Word 0: power (0/1), word 1: stop request, word 2: switch count.
        ulong state = sys.Map(4096);
        Rpc.Export<IFan>(new Fan(state), "fan");
        while (sys.Memory.ReadUInt64(state + 8) == 0) sys.Sleep(10);
        sys.PrintLine($"fan: stopped after {sys.Memory.ReadUInt64(state + 16)} switches");
        return 0;
    }

    private sealed class Fan(ulong state) : IFan
    {
        public void SetPower(bool on)
        {
            // Runs on the caller's thread; Rpc.Sys sees this process's memory through the grant.
            UserMemory m = Rpc.Sys.Memory;
            if ((m.ReadUInt64(state) != 0) == on) return;
            m.WriteUInt64(state, on ? 1UL : 0UL);
            m.WriteUInt64(state + 16, m.ReadUInt64(state + 16) + 1);
            Rpc.Sys.PrintLine($"fan: {(on ? "on" : "off")} at tick {Rpc.Sys.Time}");
        }

        public bool IsOn() => Rpc.Sys.Memory.ReadUInt64(state) != 0;

        public void Stop() => Rpc.Sys.Memory.WriteUInt64(state + 8, 1);
    }
}
