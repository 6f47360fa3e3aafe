namespace MicroKernel.Benchmarks;

/// <summary>
/// The baseline of every handoff benchmark: two host threads passing a token through two SemaphoreSlims (which spin
/// briefly before they park), with no kernel around them.
/// </summary>
internal static class BarePingPong
{
    /// <summary>Passes the token <paramref name="handoffs"/> times (half each way).</summary>
    public static void Run(int handoffs)
    {
        var ping = new SemaphoreSlim(0, 1);
        var pong = new SemaphoreSlim(0, 1);
        var other = new Thread(() =>
        {
            for (int i = 0; i < handoffs / 2; i++)
            {
                ping.Wait();
                pong.Release();
            }
        });
        other.Start();
        for (int i = 0; i < handoffs / 2; i++)
        {
            ping.Release();
            pong.Wait();
        }
        other.Join();
    }
}
