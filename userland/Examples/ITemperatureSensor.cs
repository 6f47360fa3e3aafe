namespace MicroKernel.Userland.Examples;

/// <summary>The temperature service's contract (the CMRX seed's TemperatureAPI), in tenths of a degree Celsius.</summary>
public interface ITemperatureSensor
{
    /// <summary>Sets the sampling interval (ticks) and the heating rate (tenths of a degree per interval).</summary>
    void Configure(long interval, long scale);

    /// <summary>The current temperature.</summary>
    long Get();

    /// <summary>Copies the last <paramref name="count"/> readings into the caller's SHARED buffer at <paramref name="buffer"/>; returns how many.</summary>
    long History(ulong buffer, long count);

    /// <summary>Asks the service to stop (its process exits soon after).</summary>
    void Stop();
}
