namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Delta debugging (Zeller's ddmin): from a set of injections that makes a run fail, a 1-minimal subset that still
/// fails the same way (removing any one of its elements makes the failure go away). Each test is a whole run.
/// </summary>
public static class Shrinker
{
    /// <summary>
    /// A 1-minimal subsequence of <paramref name="items"/> (which must fail) for which <paramref name="fails"/> holds;
    /// order is kept. <paramref name="tests"/> counts the runs it took.
    /// </summary>
    public static IReadOnlyList<T> Minimize<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, bool> fails, out int tests)
    {
        int count = 0;
        bool Fails(IReadOnlyList<T> subset)
        {
            count++;
            return fails(subset);
        }
        List<T> current = [.. items];
        if (current.Count > 0 && Fails([]))
        {
            tests = count;
            return [];
        }
        int n = 2;
        while (current.Count >= 2)
        {
            List<List<T>> chunks = Split(current, n);
            bool reduced = false;
            foreach (List<T> chunk in chunks)
            {
                if (!Fails(chunk)) continue;
                current = chunk;
                n = 2;
                reduced = true;
                break;
            }
            if (!reduced && n > 2)
            {
                for (int i = 0; i < chunks.Count; i++)
                {
                    List<T> complement = chunks.Where((_, j) => j != i).SelectMany(c => c).ToList();
                    if (!Fails(complement)) continue;
                    current = complement;
                    n = Math.Max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (reduced) continue;
            if (n >= current.Count) break;
            n = Math.Min(n * 2, current.Count);
        }
        tests = count;
        return current;
    }

    // n nearly equal consecutive chunks (the first ones one longer when it does not divide).
    private static List<List<T>> Split<T>(List<T> items, int n)
    {
        var chunks = new List<List<T>>();
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            int size = (items.Count - start) / (n - i);
            if (size == 0) continue;
            chunks.Add(items.GetRange(start, size));
            start += size;
        }
        return chunks;
    }
}
