using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The temperature service of the RPC demo: exports "sensor". The room heats by `scale` tenths of a degree per
/// interval and cools twice as fast while the fan runs; <see cref="ITemperatureSensor.Get"/> asks the fan over a
/// nested rpc_call. First argument: the Get call that glitches (reads a null pointer) to show a supervisor
/// restart (0 = never).
/// </summary>
public sealed class TemperatureSensorProgram : UserProgram
{
    private const int Slots = 32;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        long glitchAt = sys.Args.Count > 0 && long.TryParse(sys.Args[0], CultureInfo.InvariantCulture, out long g) ? g : 0;
        // A restarted sensor starts over with fresh memory, like a rebooted Hubris task; it glitches only once.
        if (sys.Generation > 0)
        {
            sys.PrintLine("sensor: restarted by its supervisor, re-initialising");
            sys.Sleep(3);
            glitchAt = 0;
        }
        // Words: 0 temperature, 1 last update tick, 2 interval, 3 scale, 4 stop, 5 calls, 6 history count, 8.. history.
        ulong state = sys.Map(4096);
        UserMemory m = sys.Memory;
        m.WriteUInt64(state, 200);
        m.WriteUInt64(state + 8, (ulong)sys.Time);
        m.WriteUInt64(state + 16, 5);
        m.WriteUInt64(state + 24, 10);
        long fan;
        while ((fan = Rpc.TryLookup("fan")) < 0) sys.Yield();
        Rpc.Export<ITemperatureSensor>(new Sensor(state, new RpcHandle<IFan>((ulong)fan), glitchAt), "sensor");
        while (m.ReadUInt64(state + 32) == 0) sys.Sleep(10);
        sys.PrintLine($"sensor: stopped after {m.ReadUInt64(state + 40)} readings");
        return 0;
    }

    private sealed class Sensor(ulong state, RpcHandle<IFan> fan, long glitchAt) : ITemperatureSensor
    {
        public void Configure(long interval, long scale)
        {
            UserMemory m = Rpc.Sys.Memory;
            m.WriteUInt64(state + 16, (ulong)Math.Max(1, interval));
            m.WriteUInt64(state + 24, (ulong)scale);
        }

        public long Get()
        {
            Sys sys = Rpc.Sys;
            UserMemory m = sys.Memory;
            ulong calls = m.ReadUInt64(state + 40) + 1;
            m.WriteUInt64(state + 40, calls);
            // The planted bug: a null pointer, caught by the MMU/MPU like any other fault.
            if ((long)calls == glitchAt) return (long)m.ReadUInt64(0);
            long now = sys.Time, last = (long)m.ReadUInt64(state + 8);
            long steps = (now - last) / (long)m.ReadUInt64(state + 16);
            if (steps > 0)
            {
                // Nested call: this method runs on the controller's thread, now acting for the sensor.
                bool cooling = Rpc.Call(fan, f => f.IsOn());
                long scale = (long)m.ReadUInt64(state + 24);
                long t = (long)m.ReadUInt64(state) + steps * (cooling ? -2 * scale : scale);
                m.WriteUInt64(state, (ulong)t);
                m.WriteUInt64(state + 8, (ulong)(last + steps * (long)m.ReadUInt64(state + 16)));
            }
            long temp = (long)m.ReadUInt64(state);
            ulong n = m.ReadUInt64(state + 48);
            m.WriteUInt64(state + 64 + n % Slots * 8, (ulong)temp);
            m.WriteUInt64(state + 48, n + 1);
            return temp;
        }

        public long History(ulong buffer, long count)
        {
            UserMemory m = Rpc.Sys.Memory;
            ulong n = m.ReadUInt64(state + 48);
            long k = Math.Min(count, Math.Min((long)n, Slots));
            // Written straight into the caller's SHARED buffer: no copy through the kernel.
            for (long i = 0; i < k; i++)
                m.WriteUInt64(buffer + (ulong)i * 8, m.ReadUInt64(state + 64 + (n - (ulong)k + (ulong)i) % Slots * 8));
            return k;
        }

        public void Stop() => Rpc.Sys.Memory.WriteUInt64(state + 32, 1);
    }
}
