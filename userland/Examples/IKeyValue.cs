namespace MicroKernel.Userland.Examples;

/// <summary>
/// The contract of the C key-value service (userland/examples/c/kvstore.c): method i here is entry i of the C
/// service's vtable, so C# clients call the C service through this interface (and a C# class may implement it too).
/// </summary>
public interface IKeyValue
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>; returns the previous value (0 if none).</summary>
    long Put(long key, long value);

    /// <summary>The value under <paramref name="key"/> (a miss asks the fallback service, else 0).</summary>
    long Get(long key);

    /// <summary>Replaces each of the <paramref name="count"/> keys in the caller's SHARED buffer by its value; returns the count.</summary>
    long GetMany(ulong keys, long count);

    /// <summary>Asks the service to stop (its process exits soon after).</summary>
    long Stop();
}
