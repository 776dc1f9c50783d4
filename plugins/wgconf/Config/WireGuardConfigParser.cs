using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunmux.Contracts;
using Fail = Tunmux.Plugins.WgConf.Config.WireGuardConfigException;

namespace Tunmux.Plugins.WgConf.Config;

/// <summary>
/// A strict reader of WireGuard configs in the wg-quick format. It accepts what a client tunnel needs
/// and nothing it would silently misunderstand: unknown keys and sections, malformed keys, endpoints and
/// CIDRs are errors naming file and line. wg-quick's shell hooks (PreUp, PostUp, PreDown, PostDown) are
/// refused, because tunmux never runs commands from a config; its routing keys (Table, FwMark,
/// SaveConfig) are accepted and ignored with a warning, because tunmux owns routing itself.
/// Section and key names are case-insensitive, as in wg(8); <c>#</c> starts a comment.
/// </summary>
public static class WireGuardConfigParser
{
    /// <summary>Larger files are not WireGuard configs.</summary>
    public const int MaxBytes = 64 * 1024;

    private static readonly string[] InterfaceKeys = ["PrivateKey", "Address", "DNS", "MTU", "ListenPort"];
    private static readonly string[] PeerKeys = ["PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"];
    private static readonly string[] IgnoredInterfaceKeys = ["Table", "FwMark", "SaveConfig"];
    private static readonly string[] HookKeys = ["PreUp", "PostUp", "PreDown", "PostDown"];

    /// <summary>Reads and parses a file; a missing, unreadable or oversized file is a clear error.</summary>
    public static ParsedConfig ParseFile(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new WireGuardConfigException(path, 0, "no such file; give the path of a WireGuard config (wg0.conf)");
            if (info.Length > MaxBytes) throw new WireGuardConfigException(path, 0, $"file is larger than {MaxBytes / 1024} KiB, so not a WireGuard config");
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WireGuardConfigException(path, 0, $"cannot read the file ({e.Message}); check the path and its permissions");
        }
        return Parse(text, path);
    }

    /// <summary>Parses config text; <paramref name="source"/> names it in errors and warnings.</summary>
    public static ParsedConfig Parse(string text, string source)
    {
        var warnings = new List<string>();
        InterfaceSection? iface = null;
        var peers = new List<PeerSection>();
        Section? current = null;

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0) continue;
            Fail Error(string problem) => new(source, lineNo, problem);

            if (line.StartsWith('['))
            {
                var name = line.EndsWith(']') ? line[1..^1].Trim() : throw Error($"section header '{line}' has no closing ']'");
                if (name.Equals("Interface", StringComparison.OrdinalIgnoreCase))
                {
                    if (iface is not null) throw Error($"a second [Interface] section (the first is at line {iface.Line}); a config describes one interface");
                    current = iface = new InterfaceSection(lineNo);
                }
                else if (name.Equals("Peer", StringComparison.OrdinalIgnoreCase))
                {
                    var peer = new PeerSection(lineNo);
                    peers.Add(peer);
                    current = peer;
                }
                else
                {
                    throw Error($"unknown section [{name}]; a WireGuard config has [Interface] and [Peer]");
                }
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq <= 0) throw Error("expected 'Key = Value' or a [Section] header");
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (current is null) throw Error($"'{key}' comes before any [Interface] or [Peer] section");
            if (value.Length == 0) throw Error($"{key} has no value");

            if (current is InterfaceSection s) ParseInterfaceKey(s, key, value, lineNo, source, warnings);
            else ParsePeerKey((PeerSection)current, key, value, lineNo, source);
        }

        if (iface is null) throw new WireGuardConfigException(source, 0, "no [Interface] section; a WireGuard config starts with [Interface] and its PrivateKey");
        if (iface.PrivateKey is null) throw new WireGuardConfigException(source, iface.Line, "[Interface] has no PrivateKey; add 'PrivateKey = <base64 key>' (from your provider or 'wg genkey')");
        if (iface.Addresses.Count == 0) throw new WireGuardConfigException(source, iface.Line, "[Interface] has no Address; add the tunnel address your provider gave (Address = 10.2.0.2/32)");
        if (peers.Count == 0) throw new WireGuardConfigException(source, 0, "no [Peer] section; add the server's [Peer] with PublicKey, Endpoint and AllowedIPs");

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in peers)
        {
            if (p.PublicKey is null) throw new WireGuardConfigException(source, p.Line, "[Peer] has no PublicKey; add the server's 'PublicKey = <base64 key>'");
            if (p.Endpoint is null) throw new WireGuardConfigException(source, p.Line, "[Peer] has no Endpoint; tunmux connects out to a server, add 'Endpoint = host:port'");
            if (p.AllowedIps.Count == 0) throw new WireGuardConfigException(source, p.Line, "[Peer] has no AllowedIPs; add 'AllowedIPs = 0.0.0.0/0, ::/0' for a full tunnel");
            if (seen.TryGetValue(p.PublicKey, out var first))
                throw new WireGuardConfigException(source, p.Line, $"this [Peer] has the same PublicKey as the [Peer] at line {first}; remove one");
            seen[p.PublicKey] = p.Line;
        }

        var profile = new WireGuardProfile
        {
            PrivateKey = iface.PrivateKey,
            Addresses = iface.Addresses,
            Dns = iface.Dns,
            Mtu = iface.Mtu,
            Peers = peers.Select(p => new WireGuardPeer
            {
                PublicKey = p.PublicKey!,
                PresharedKey = p.PresharedKey,
                Endpoint = p.Endpoint!,
                AllowedIps = p.AllowedIps,
                PersistentKeepalive = p.PersistentKeepalive,
            }).ToList(),
        };
        return new ParsedConfig(profile, warnings, iface.ListenPort);
    }

    private static void ParseInterfaceKey(InterfaceSection s, string key, string value, int line, string source, List<string> warnings)
    {
        Fail Error(string problem) => new(source, line, problem);
        var canonical = Canonical(key, InterfaceKeys);
        switch (canonical)
        {
            case "PrivateKey":
                if (s.PrivateKey is not null) throw Error("PrivateKey given twice in [Interface]; keep one");
                s.PrivateKey = IsKey(value) ? value : throw Error("PrivateKey is not a WireGuard key (base64 of 32 bytes); copy it again from your provider or 'wg genkey'");
                return;
            case "Address":
                foreach (var a in List(value)) s.Addresses.Add(Cidr(a, "Address", Error));
                return;
            case "DNS":
                foreach (var d in List(value))
                {
                    if (StrictIp(d) is { } ip) s.Dns.Add(ip.ToString());
                    else if (IsHostName(d)) warnings.Add($"{source}:{line}: DNS search domain '{d}' is ignored; tunmux sets only DNS servers");
                    else throw Error($"DNS entry '{d}' is neither an IP address nor a search domain");
                }
                return;
            case "MTU":
                if (s.Mtu is not null) throw Error("MTU given twice in [Interface]; keep one");
                s.Mtu = Integer(value, 576, 65535, "MTU", Error);
                return;
            case "ListenPort":
                if (s.ListenPort is not null) throw Error("ListenPort given twice in [Interface]; keep one");
                s.ListenPort = Integer(value, 0, 65535, "ListenPort", Error);
                warnings.Add($"{source}:{line}: ListenPort is ignored; tunmux lets the system choose the client's port");
                return;
        }
        if (Canonical(key, HookKeys) is { } hook)
            throw Error($"{hook} runs a shell command, which tunmux never does; remove the line (tunmux sets up routes and DNS itself)");
        if (Canonical(key, IgnoredInterfaceKeys) is { } ignored)
        {
            warnings.Add($"{source}:{line}: {ignored} is ignored; tunmux manages routing itself");
            return;
        }
        if (Canonical(key, PeerKeys) is { } peerKey)
            throw Error($"{peerKey} belongs in a [Peer] section, not [Interface]");
        throw Error($"unknown key '{key}' in [Interface]; accepted keys: {string.Join(", ", InterfaceKeys)}");
    }

    private static void ParsePeerKey(PeerSection p, string key, string value, int line, string source)
    {
        Fail Error(string problem) => new(source, line, problem);
        switch (Canonical(key, PeerKeys))
        {
            case "PublicKey":
                if (p.PublicKey is not null) throw Error("PublicKey given twice in [Peer]; keep one");
                p.PublicKey = IsKey(value) ? value : throw Error("PublicKey is not a WireGuard key (base64 of 32 bytes); copy it again from your provider");
                return;
            case "PresharedKey":
                if (p.PresharedKey is not null) throw Error("PresharedKey given twice in [Peer]; keep one");
                p.PresharedKey = IsKey(value) ? value : throw Error("PresharedKey is not a WireGuard key (base64 of 32 bytes); copy it again from your provider");
                return;
            case "Endpoint":
                if (p.Endpoint is not null) throw Error("Endpoint given twice in [Peer]; keep one");
                p.Endpoint = Endpoint(value, Error);
                return;
            case "AllowedIPs":
                foreach (var a in List(value)) p.AllowedIps.Add(Cidr(a, "AllowedIPs", Error));
                return;
            case "PersistentKeepalive":
                if (p.KeepaliveSeen) throw Error("PersistentKeepalive given twice in [Peer]; keep one");
                p.KeepaliveSeen = true;
                var seconds = value.Equals("off", StringComparison.OrdinalIgnoreCase) ? 0 : Integer(value, 0, 65535, "PersistentKeepalive", Error);
                p.PersistentKeepalive = seconds == 0 ? null : seconds;
                return;
        }
        if (Canonical(key, InterfaceKeys) is { } ifaceKey)
            throw Error($"{ifaceKey} belongs in the [Interface] section, not [Peer]");
        throw Error($"unknown key '{key}' in [Peer]; accepted keys: {string.Join(", ", PeerKeys)}");
    }

    /// <summary>True for base64 that decodes to exactly 32 bytes (the form wg(8) prints).</summary>
    public static bool IsKey(string value)
    {
        if (value.Length != 44 || value[^1] != '=' || value[^2] == '=') return false;
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(value, buffer, out var written) && written == 32;
    }

    /// <summary><c>host:port</c> or <c>[v6]:port</c>, host an IP address or a DNS name; returned unchanged when valid.</summary>
    private static string Endpoint(string value, Func<string, Fail> error)
    {
        string host, port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) throw error($"Endpoint '{value}' is not '[IPv6]:port'");
            host = value[1..close];
            port = value[(close + 2)..];
            if (StrictIp(host) is not { AddressFamily: AddressFamily.InterNetworkV6 })
                throw error($"Endpoint '{value}' has '{host}' in brackets, which is not an IPv6 address");
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0) throw error($"Endpoint '{value}' has no port; write it as host:port (vpn.example.com:51820)");
            host = value[..colon];
            port = value[(colon + 1)..];
            if (host.Contains(':')) throw error($"Endpoint '{value}' looks like an IPv6 address; write it as [address]:port");
            var looksNumeric = host.All(c => char.IsAsciiDigit(c) || c == '.');
            if (looksNumeric ? StrictIp(host) is null : !IsHostName(host))
                throw error($"Endpoint '{value}' has '{host}', which is neither an IP address nor a host name");
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            throw error($"Endpoint '{value}' has port '{port}'; a port is 1-65535");
        return value;
    }

    /// <summary>An address with an optional prefix length, normalized to <c>address/prefix</c>.</summary>
    private static string Cidr(string value, string key, Func<string, Fail> error)
    {
        var slash = value.IndexOf('/');
        var addressText = slash < 0 ? value : value[..slash];
        var ip = StrictIp(addressText) ?? throw error($"{key} entry '{value}' is not an IP address in CIDR form (10.2.0.2/32, fd00::2/128)");
        var max = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
            throw error($"{key} entry '{value}' has a bad prefix length; it is 0-{max} for this address");
        return $"{ip}/{prefix}";
    }

    /// <summary>Dotted-quad IPv4 (exactly four parts) or IPv6 without a zone; .NET's parser alone also takes '10.1' and '1'.</summary>
    private static IPAddress? StrictIp(string text)
    {
        if (text.Contains('%') || !IPAddress.TryParse(text, out var ip)) return null;
        if (ip.AddressFamily == AddressFamily.InterNetworkV6) return text.Contains(':') ? ip : null;
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)) ? ip : null;
    }

    private static bool IsHostName(string text) =>
        text.Length is > 0 and <= 253
        && text.Split('.').All(label => label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-')
        && !text.All(c => char.IsAsciiDigit(c) || c == '.');

    private static int Integer(string value, int min, int max, string key, Func<string, Fail> error) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw error($"{key} '{value}' is not a whole number from {min} to {max}");

    private static IEnumerable<string> List(string value) =>
        value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0);

    private static string? Canonical(string key, string[] known) =>
        known.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#');
        return (hash >= 0 ? line[..hash] : line).TrimEnd('\r');
    }

    private abstract class Section(int line)
    {
        public int Line { get; } = line;
    }

    private sealed class InterfaceSection(int line) : Section(line)
    {
        public string? PrivateKey { get; set; }
        public List<string> Addresses { get; } = [];
        public List<string> Dns { get; } = [];
        public int? Mtu { get; set; }
        public int? ListenPort { get; set; }
    }

    private sealed class PeerSection(int line) : Section(line)
    {
        public string? PublicKey { get; set; }
        public string? PresharedKey { get; set; }
        public string? Endpoint { get; set; }
        public List<string> AllowedIps { get; } = [];
        public int? PersistentKeepalive { get; set; }
        public bool KeepaliveSeen { get; set; }
    }
}
