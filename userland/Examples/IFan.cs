namespace MicroKernel.Userland.Examples;

/// <summary>The fan service's contract.</summary>
public interface IFan
{
    /// <summary>Switches the fan on or off.</summary>
    void SetPower(bool on);

    /// <summary>True while the fan runs.</summary>
    bool IsOn();

    /// <summary>Asks the service to stop (its process exits soon after).</summary>
    void Stop();
}
