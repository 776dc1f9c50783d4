using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>The few things read out of airvpn.org pages: form fields and the per-page ecsrf token.</summary>
internal static partial class HtmlScraper
{
    [GeneratedRegex(@"<input\b[^>]*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex InputTag();

    [GeneratedRegex(@"<[a-z]+\b[^>]*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:""([^""]*)""|'([^']*)')", RegexOptions.Singleline)]
    private static partial Regex Attribute();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    /// <summary>The value of the first <c>input</c> named <paramref name="name"/>, or null.</summary>
    public static string? InputValue(string html, string name)
    {
        foreach (Match tag in InputTag().Matches(html))
        {
            var attrs = Attributes(tag.Value);
            if (attrs.TryGetValue("name", out var n) && n == name)
                return attrs.TryGetValue("value", out var v) ? v : "";
        }
        return null;
    }

    /// <summary>The ecsrf token in the data-json of the <c>#eui_data</c> (or <c>#air_data</c>) element, or null.</summary>
    public static string? Ecsrf(string html)
    {
        foreach (Match tag in AnyTag().Matches(html))
        {
            var attrs = Attributes(tag.Value);
            if (!attrs.TryGetValue("id", out var id) || (id != "eui_data" && id != "air_data")) continue;
            if (!attrs.TryGetValue("data-json", out var json)) continue;
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.TryGetProperty("ecsrf", out var e) && e.ValueKind == JsonValueKind.String) return e.GetString();
            }
            catch (JsonException) { }
        }
        return null;
    }

    /// <summary>Text of the first element with the class, first link inside it when <paramref name="link"/>.</summary>
    public static string? TextOfClass(string html, string cssClass, bool link)
    {
        var at = Regex.Match(html, $@"class\s*=\s*""[^""]*\b{Regex.Escape(cssClass)}\b[^""]*""[^>]*>(.*)", RegexOptions.Singleline);
        if (!at.Success) return null;
        var rest = at.Groups[1].Value;
        var m = link
            ? Regex.Match(rest, @"<a\b[^>]*>(.*?)</a>", RegexOptions.Singleline | RegexOptions.IgnoreCase)
            : Regex.Match(rest, @"^\s*(?:<div\b[^>]*>)?(.*?)</div>", RegexOptions.Singleline | RegexOptions.IgnoreCase);
        return m.Success ? StripTags(m.Groups[1].Value) : null;
    }

    public static string StripTags(string html) => WebUtility.HtmlDecode(Tags().Replace(html, "")).Trim();

    private static Dictionary<string, string> Attributes(string tag)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match a in Attribute().Matches(tag))
            d.TryAdd(a.Groups[1].Value, WebUtility.HtmlDecode(a.Groups[2].Success ? a.Groups[2].Value : a.Groups[3].Value));
        return d;
    }
}
