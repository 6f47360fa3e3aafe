namespace MicroKernel.Tests;

/// <summary>
/// A host thread that does not hold the simulated CPU, as a program that starts its own threads would make: the
/// one-CPU tests use a thread's port from it and read what the kernel threw.
/// </summary>
internal static class ForeignHostThread
{
    /// <summary>
    /// Runs <paramref name="action"/> on a new host thread named <paramref name="name"/> (null: unnamed) and waits for
    /// it (a host wait: no scheduling point, and a refusal is immediate); returns what it threw and the thread's id.
    /// </summary>
    public static (Exception? Thrown, int HostId) Run(string? name, Action action)
    {
        Exception? thrown = null;
        int id = 0;
        var host = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        if (name is not null) host.Name = name;
        host.Start();
        host.Join();
        return (thrown, id);
    }
}
