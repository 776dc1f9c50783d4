using System.Globalization;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>Human renderings of sizes, speeds and times in tables.</summary>
internal static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>The site reports speeds in KiB/s.</summary>
    public static string Speed(long kibPerSecond) => Bytes(kibPerSecond * 1024) + "/s";

    public static string Since(long unixSeconds)
    {
        if (unixSeconds <= 0) return "-";
        var span = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return span.Days > 0 ? $"{span.Days}d {span.Hours}h {span.Minutes}m" : span.Hours > 0 ? $"{span.Hours}h {span.Minutes}m" : $"{span.Minutes}m";
    }

    public static string Date(long unixSeconds) =>
        unixSeconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-";

    public static string Age(TimeSpan age) =>
        age.TotalMinutes < 1 ? "under a minute" : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min" : age.TotalDays < 1 ? $"{(int)age.TotalHours} h" : $"{(int)age.TotalDays} days";

    public static string Dash(string? s) => string.IsNullOrEmpty(s) ? "-" : s;
}
