using System.Globalization;
using Tunmux.Contracts;

namespace Tunmux.Host.Output;

/// <summary>The host's rendering of the standard listings, as a table or as JSON with stable names.</summary>
public static class Render
{
    public static void Account(IConsoleIO console, AccountInfo info, bool json)
    {
        if (json)
        {
            console.WriteJson(new
            {
                username = info.Username,
                plan = info.Plan,
                expires_at = info.ExpiresAt,
                details = info.Details.ToDictionary(kv => kv.Key, kv => kv.Value),
            });
            return;
        }
        var rows = new List<(string, string)> { ("Username", info.Username) };
        if (info.Plan is not null) rows.Add(("Plan", info.Plan));
        if (info.ExpiresAt is { } e) rows.Add(("Expires", e.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)));
        rows.AddRange(info.Details.Select(kv => (kv.Key, kv.Value)));
        var width = rows.Max(r => r.Item1.Length) + 1;
        foreach (var (k, v) in rows) console.Out.WriteLine($"{(k + ":").PadRight(width)} {v}");
    }

    public static void Servers(IConsoleIO console, IReadOnlyList<ServerInfo> servers, bool json)
    {
        if (json)
        {
            console.WriteJson(new
            {
                servers = servers.Select(s => new
                {
                    name = s.Name,
                    country = s.Country,
                    city = s.City,
                    load = s.Load,
                    score = s.Score,
                    online = s.Online,
                    available = s.Available,
                    features = s.Features,
                    latency_ms = s.Latency is { } rtt ? Math.Round(rtt.TotalMilliseconds, 1) : (double?)null,
                    extra = s.Extra.ToDictionary(kv => kv.Key, kv => kv.Value),
                }),
            });
            return;
        }
        if (servers.Count == 0)
        {
            console.Out.WriteLine("No servers match.");
            return;
        }
        var extraKeys = servers.SelectMany(s => s.Extra.Select(kv => kv.Key)).Distinct().ToList();
        // The latency column appears once rows were measured (servers --sort latency).
        var latency = servers.Any(s => s.Latency is not null);
        var headers = new List<string> { "NAME", "COUNTRY", "CITY", "LOAD", "FEATURES" };
        if (latency) headers.Add("LATENCY");
        headers.AddRange(extraKeys.Select(k => k.ToUpperInvariant()));
        headers.Add("STATUS");
        console.WriteTable(headers, servers.Select(s =>
        {
            var row = new List<string>
            {
                s.Name, s.Country ?? "", s.City ?? "", s.Load is { } l ? $"{l}%" : "", string.Join(',', s.Features),
            };
            if (latency) row.Add(s.Latency is { } rtt ? $"{rtt.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms" : "-");
            row.AddRange(extraKeys.Select(k => s.Extra.FirstOrDefault(kv => kv.Key == k).Value ?? ""));
            row.Add(!s.Online ? "offline" : !s.Available ? "unavailable (plan)" : "online");
            return (IReadOnlyList<string>)row;
        }));
    }
}
