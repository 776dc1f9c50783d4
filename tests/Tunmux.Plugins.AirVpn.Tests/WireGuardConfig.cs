namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>A strict reader of wg-quick files: sections, known keys, one value each.</summary>
internal static class WireGuardConfig
{
    private static readonly Dictionary<string, string[]> Known = new()
    {
        ["Interface"] = ["PrivateKey", "Address", "DNS", "MTU", "ListenPort", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig", "FwMark"],
        ["Peer"] = ["PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"],
    };

    public static List<(string Section, Dictionary<string, string> Values)> Parse(string text)
    {
        var sections = new List<(string, Dictionary<string, string>)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                var name = line[1..^1];
                if (!Known.ContainsKey(name)) throw new FormatException($"unknown section [{name}]");
                sections.Add((name, new Dictionary<string, string>()));
                continue;
            }
            if (sections.Count == 0) throw new FormatException($"key outside a section: {line}");
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new FormatException($"not a key = value line: {line}");
            var key = line[..eq].Trim();
            var (section, values) = sections[^1];
            if (!Known[section].Contains(key)) throw new FormatException($"unknown key {key} in [{section}]");
            values[key] = line[(eq + 1)..].Trim();
        }
        return sections;
    }

    public static bool IsKey(string base64) =>
        base64.Length == 44 && Convert.TryFromBase64String(base64, new byte[32], out var n) && n == 32;
}
