using System.Text;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>A parsed HTTP/1.x request or response head (start line and header fields).</summary>
internal sealed class HttpHead
{
    /// <summary>Headers never forwarded: hop-by-hop (RFC 9110 7.6.1) and the proxy's own.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade",
    };

    public string Part1 = "", Part2 = "", Part3 = "";
    public readonly List<KeyValuePair<string, string>> Headers = [];

    /// <summary>Parses a head ending with CRLF CRLF; null when malformed.</summary>
    public static HttpHead? Parse(ReadOnlySpan<byte> head)
    {
        // Header bytes are ISO-8859-1 by definition; Latin1 maps every byte.
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var start = lines[0].Split(' ', 3);
        if (start.Length < 3 && !(start.Length == 2 && start[0].StartsWith("HTTP/", StringComparison.Ordinal))) return null;
        var h = new HttpHead { Part1 = start[0], Part2 = start[1], Part3 = start.Length > 2 ? start[2] : "" };
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue;
            // Obsolete line folding and fields without a colon are rejected (request smuggling).
            if (line[0] is ' ' or '\t') return null;
            var colon = line.IndexOf(':');
            if (colon <= 0) return null;
            var name = line[..colon];
            if (name.AsSpan().IndexOfAny(' ', '\t') >= 0) return null;
            h.Headers.Add(new(name, line[(colon + 1)..].Trim(' ', '\t')));
        }
        return h;
    }

    public string? Get(string name)
    {
        foreach (var (k, v) in Headers)
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }

    public int Count(string name) => Headers.Count(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when a comma-separated header (Connection, Transfer-Encoding) has the token.</summary>
    public bool HasToken(string name, string token)
    {
        foreach (var (k, v) in Headers)
        {
            if (!string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var t in v.Split(','))
                if (string.Equals(t.Trim(), token, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Serializes the start line and the end-to-end headers, plus <paramref name="extra"/> lines.</summary>
    public byte[] Serialize(string startLine, string? hostOverride, params string[] extra)
    {
        var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in Headers)
            if (string.Equals(k, "Connection", StringComparison.OrdinalIgnoreCase))
                foreach (var t in v.Split(',')) if (t.Trim().Length > 0) named.Add(t.Trim());

        var sb = new StringBuilder(512);
        sb.Append(startLine).Append("\r\n");
        if (hostOverride is not null) sb.Append("Host: ").Append(hostOverride).Append("\r\n");
        foreach (var (k, v) in Headers)
        {
            if (HopByHop.Contains(k) || named.Contains(k) || k.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)) continue;
            if (hostOverride is not null && string.Equals(k, "Host", StringComparison.OrdinalIgnoreCase)) continue;
            sb.Append(k).Append(": ").Append(v).Append("\r\n");
        }
        foreach (var line in extra) sb.Append(line).Append("\r\n");
        sb.Append("\r\n");
        return Encoding.Latin1.GetBytes(sb.ToString());
    }
}
