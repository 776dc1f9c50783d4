namespace Tunmux.Plugins.Common;

/// <summary>
/// The server a connect chose and the next best ones matching the same request, which the
/// daemon fails over to (at most <see cref="MaxAlternatives"/>, best first).
/// </summary>
internal static class RankedChoice
{
    public const int MaxAlternatives = 3;

    /// <summary>The first of <paramref name="ranked"/> and the next ones after it.</summary>
    public static (T Chosen, IReadOnlyList<T> Alternatives) Split<T>(IReadOnlyList<T> ranked) =>
        (ranked[0], ranked.Skip(1).Take(MaxAlternatives).ToList());

    /// <summary>
    /// Orders by weighted random draws without replacement (a higher weight comes earlier more
    /// often), so clients spread over the servers in proportion to the provider's weights.
    /// </summary>
    public static List<T> WeightedOrder<T>(IEnumerable<T> items, Func<T, double> weight, Random random)
    {
        var pool = items.ToList();
        var result = new List<T>(pool.Count);
        while (pool.Count > 0)
        {
            var total = pool.Sum(i => Math.Max(weight(i), 0));
            var index = 0;
            if (total > 0)
            {
                var draw = random.NextDouble() * total;
                for (; index < pool.Count - 1; index++)
                {
                    draw -= Math.Max(weight(pool[index]), 0);
                    if (draw < 0) break;
                }
            }
            result.Add(pool[index]);
            pool.RemoveAt(index);
        }
        return result;
    }
}
