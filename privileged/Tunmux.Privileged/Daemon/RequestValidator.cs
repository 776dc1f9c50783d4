using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// Checks every argument of a request before anything on the system is touched. Pure: no I/O.
/// A failure throws <see cref="PrivilegedException"/> with <see cref="ErrorCodes.InvalidArgument"/> and a
/// one-line message that names the field; secret values are never repeated back.
/// Interface and namespace names are not arguments at all: they are derived from the instance by
/// <see cref="InstanceNames"/>, so a request cannot name an arbitrary link or namespace.
/// </summary>
public static partial class RequestValidator
{
    public const int MinMtu = 576;
    public const int MaxMtu = 9000;
    public const int MaxAddresses = 16;
    public const int MaxDns = 8;
    public const int MaxPeers = 16;
    public const int MaxAllowedIps = 256;
    public const int MaxProviderLength = 32;
    public const int MaxHostLength = 253;
    public const int MaxCredentialBytes = 255; // RFC 1929 bounds SOCKS5 user and password at 255 bytes each.
    public const int MinHandshakeTimeoutMs = 100;
    public const int MaxHandshakeTimeoutMs = 300_000;
    public const int MaxLeaseIdLength = 64;
    public const int MaxAlternatives = 16;
    public const int MaxServerNameLength = 64;
    public const int MaxHookBytes = 4096;
    public const int MinTimerMs = 50;
    public const int MaxTimerMs = 3_600_000;

    public static readonly IReadOnlySet<string> Modes = new HashSet<string>(StringComparer.Ordinal) { "direct", "proxy" };
    public static readonly IReadOnlySet<string> Backends = new HashSet<string>(StringComparer.Ordinal) { "auto", "wg-quick", "userspace", "kernel" };
    public static readonly IReadOnlySet<string> UserspaceImplementations = new HashSet<string>(StringComparer.Ordinal) { "wireguard-go", "boringtun" };

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\z")]
    private static partial Regex ProviderPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\z")]
    private static partial Regex LeaseIdPattern();

    public const int MaxAllowEntries = 32;

    /// <summary>user:NAME or group:NAME with a name of the shape useradd and groupadd accept.</summary>
    [GeneratedRegex(@"^(user|group):[a-z_][a-z0-9_.-]{0,31}\z")]
    private static partial Regex AllowEntryPattern();

    /// <summary>Whether <paramref name="entry"/> has the form of a <c>proxy.allow</c> entry (<c>user:NAME</c>, <c>group:NAME</c>).</summary>
    public static bool IsAllowEntry(string? entry) => entry is not null && AllowEntryPattern().IsMatch(entry);

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z")]
    private static partial Regex HostLabelPattern();

    /// <summary>Everything the daemon requires of a tunnel intent: well-formed fields and the daemon's own policy.</summary>
    public static void Validate(TunnelUpArgs args)
    {
        ValidateFields(args);

        // Direct mode is the one host-wide tunnel; its instance name is fixed so it cannot collide with a proxy instance.
        if (args.Mode == "direct" && args.Instance != InstanceNames.Direct)
            throw Invalid($"instance: direct mode uses the instance name '{InstanceNames.Direct}'");
        if (args.Mode == "proxy" && args.Instance == InstanceNames.Direct)
            throw Invalid($"instance: '{InstanceNames.Direct}' is reserved for direct mode");
        if (args.Mode == "proxy" && args.Proxy is null) throw Invalid("proxy: required in proxy mode");
    }

    /// <summary>
    /// Every field has a narrow, known shape (each later becomes a command argument or a file line).
    /// The tunnel service checks this much itself, whoever calls it.
    /// </summary>
    public static void ValidateFields(TunnelUpArgs args)
    {
        Instance(args.Instance);
        Provider(args.Provider);
        OneOf("mode", args.Mode, Modes);
        OneOf("backend", args.Backend, Backends);
        if (args.UserspaceImplementation is not null) OneOf("userspace_implementation", args.UserspaceImplementation, UserspaceImplementations);

        Profile(args.Profile);

        if (args.Proxy is not null)
        {
            if (args.Mode != "proxy") throw Invalid("proxy: only allowed in proxy mode");
            Proxy(args.Proxy);
        }

        if (args.HandshakeTimeoutMs is { } t && (t < MinHandshakeTimeoutMs || t > MaxHandshakeTimeoutMs))
            throw Invalid($"handshake_timeout_ms: must be between {MinHandshakeTimeoutMs} and {MaxHandshakeTimeoutMs}");

        // A proxy exit is fail-closed by construction (its namespace has no other route); these are direct mode's.
        if (args.Mode != "direct" && (args.KillSwitch || args.AllowLan || args.DisableIpv6))
            throw Invalid("kill_switch, allow_lan and disable_ipv6: only in direct mode");
        if (args.AllowLan && !args.KillSwitch) throw Invalid("allow_lan: only with kill_switch");

        if (args.Server is not null) Server("server", args.Server);
        if (args.Alternatives is null) throw Invalid("alternatives: must be a list");
        if (args.Alternatives.Count > MaxAlternatives) throw Invalid($"alternatives: at most {MaxAlternatives} (got {args.Alternatives.Count})");
        foreach (var alternative in args.Alternatives)
        {
            if (alternative is null) throw Invalid("alternatives: null entry");
            Server("alternatives.server", alternative.Server);
            Profile(alternative.Profile);
        }
        if (args.Supervision is { } s)
        {
            Timer("supervision.check_interval_ms", s.CheckIntervalMs);
            Timer("supervision.idle_check_interval_ms", s.IdleCheckIntervalMs);
            Timer("supervision.traffic_timeout_ms", s.TrafficTimeoutMs);
            Timer("supervision.idle_probe_ms", s.IdleProbeMs);
            Timer("supervision.rehandshake_timeout_ms", s.RehandshakeTimeoutMs);
            Timer("supervision.retry_after_failure_ms", s.RetryAfterFailureMs);
            Timer("supervision.port_forward_renew_ms", s.PortForwardRenewMs);
        }
        if (args.Hooks is { } h)
        {
            if (h.Ifup is not null) Hook("hooks.ifup", h.Ifup);
            if (h.Ifdown is not null) Hook("hooks.ifdown", h.Ifdown);
            Timer("hooks.timeout_ms", h.TimeoutMs);
        }
    }

    public static void Server(string field, ServerDto? server)
    {
        if (server is null) throw Invalid($"{field}: required");
        if (server.Name.Length is 0 or > MaxServerNameLength || !IsPrintableText(server.Name))
            throw Invalid($"{field}.name: must be 1 to {MaxServerNameLength} printable characters (got {Preview(server.Name)})");
        if (server.Country is { } c && (c.Length is 0 or > 8 || !c.All(char.IsAsciiLetterOrDigit)))
            throw Invalid($"{field}.country: must be a country code (got {Preview(c)})");
        if (server.City is { } city && (city.Length > MaxServerNameLength || !IsPrintableText(city)))
            throw Invalid($"{field}.city: must be at most {MaxServerNameLength} printable characters");
    }

    /// <summary>A hook command: one line of printable text for <c>sh -c</c>, run as the caller (so its content is the caller's own business).</summary>
    public static void Hook(string field, string command)
    {
        if (command.Trim().Length == 0 || Encoding.UTF8.GetByteCount(command) > MaxHookBytes)
            throw Invalid($"{field}: must be a command of 1 to {MaxHookBytes} bytes");
        if (!IsPrintableText(command)) throw Invalid($"{field}: must be one line without control characters");
    }

    private static void Timer(string field, int? ms)
    {
        if (ms is { } v && (v < MinTimerMs || v > MaxTimerMs))
            throw Invalid($"{field}: must be between {MinTimerMs} and {MaxTimerMs} ms (got {v})");
    }

    public static void Validate(LockdownArgs args)
    {
        if (args.AllowLan && !args.Enabled) throw Invalid("allow_lan: only when enabling lockdown");
    }

    public const int MaxApiEndpoints = 16;

    public static void Validate(AllowApiArgs args)
    {
        List("endpoints", args.Endpoints, 1, MaxApiEndpoints);
        foreach (var e in args.Endpoints)
            if (!IsAddressEndpoint(e)) throw Invalid($"endpoints: must be address:port or [IPv6]:port (got {Preview(e)})");
    }

    public static void Validate(RootlessExitArgs args)
    {
        Instance(args.Instance);
        if (args.Endpoint is { } e && !IsAddressEndpoint(e))
            throw Invalid($"endpoint: must be address:port or [IPv6]:port (got {Preview(e)})");
    }

    /// <summary>An endpoint whose host is an address, not a name (<c>1.2.3.4:443</c>, <c>[2001:db8::1]:443</c>).</summary>
    public static bool IsAddressEndpoint(string? value) =>
        IsEndpoint(value) && IsStrictIp(value!.StartsWith('[') ? value[1..value.IndexOf(']')] : value[..value.LastIndexOf(':')], out _);

    public static void Validate(InstanceArgs args) => Instance(args.Instance);

    /// <summary>Bounds of what <c>exec</c> carries: the program's words (as execve would take them) and a few variables.</summary>
    public const int MaxExecArguments = 4096, MaxExecWordBytes = 128 * 1024, MaxExecArgumentBytes = 512 * 1024, MaxExecPathBytes = 4095;

    /// <summary>
    /// Checks an <c>exec</c> request before anything is looked up: the instance name's format, the program as an
    /// absolute path without NUL, at most <see cref="MaxExecArguments"/> arguments without NUL (each at most 128 KiB,
    /// all together at most 512 KiB, as the kernel bounds one argument and the frame bounds the whole), and only the
    /// variables <see cref="ExecEnvironment"/> accepts. The program path is never opened by the daemon: it is
    /// executed after the drop to the caller, so the caller's own permissions decide.
    /// </summary>
    public static void Validate(ExecArgs args)
    {
        Instance(args.Instance);
        if (args.File is not { Length: > 1 } file || file[0] != '/' || file.Contains('\0') || Encoding.UTF8.GetByteCount(file) > MaxExecPathBytes
            || file.EndsWith('/'))
            throw Invalid($"file: must be the absolute path of a program (got {Preview(args.File)})");
        if (args.Arguments is null) throw Invalid("arguments: required (an empty list when the program takes none)");
        if (args.Arguments.Count > MaxExecArguments) throw Invalid($"arguments: at most {MaxExecArguments}");
        long total = 0;
        foreach (var a in args.Arguments)
        {
            if (a is null || a.Contains('\0')) throw Invalid("arguments: each must be a string without NUL");
            var bytes = Encoding.UTF8.GetByteCount(a);
            if (bytes > MaxExecWordBytes) throw Invalid("arguments: each at most 128 KiB");
            total += bytes + 1;
        }
        if (total > MaxExecArgumentBytes) throw Invalid("arguments: at most 512 KiB in all");
        if (args.Environment is null) throw Invalid("environment: required (an empty object for none)");
        if (args.Environment.Count > ExecEnvironment.MaxVariables)
            throw Invalid($"environment: at most {ExecEnvironment.MaxVariables} variables");
        foreach (var (k, v) in args.Environment)
            if (!ExecEnvironment.IsPassed(k, v))
                throw Invalid($"environment: only terminal, locale and time zone variables with plain values (got {Preview(k)})");
        if (args.Terminal is { } t && (t.Rows is < 0 or > ushort.MaxValue || t.Columns is < 0 or > ushort.MaxValue))
            throw Invalid("terminal: rows and columns from 0 to 65535");
    }

    public static void Validate(KillPidArgs args)
    {
        // PID 1 and below are never a process the daemon started (and 0/-1 would signal groups).
        if (args.Pid <= 1) throw Invalid("pid: must be a process id greater than 1");
    }

    public static void Validate(LeaseArgs args, bool required)
    {
        if (args.LeaseId is null)
        {
            if (required) throw Invalid("lease_id: required");
            return;
        }
        if (args.LeaseId.Length is 0 or > MaxLeaseIdLength || !LeaseIdPattern().IsMatch(args.LeaseId))
            throw Invalid($"lease_id: 1 to {MaxLeaseIdLength} characters of [A-Za-z0-9_-]");
    }

    public static void Instance(string? instance)
    {
        // A leading '-' is refused too: the name ends up in file names and arguments, never as an option.
        // Each character is checked again here: a regex '$' would also accept a trailing newline.
        if (!InstanceNames.IsValidInstance(instance) || instance!.StartsWith('-')
            || !instance.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
            throw Invalid($"instance: must be 1 to {InstanceNames.MaxInstanceLength} characters of [a-z0-9_-] (got {Preview(instance)})");
    }

    public static void Provider(string? provider)
    {
        if (provider is null || provider.Length > MaxProviderLength || !ProviderPattern().IsMatch(provider))
            throw Invalid($"provider: must be 1 to {MaxProviderLength} characters of [a-z0-9-] (got {Preview(provider)})");
    }

    public static void Profile(ProfileDto? profile)
    {
        if (profile is null) throw Invalid("profile: required");
        Key("profile.private_key", profile.PrivateKey);

        List("profile.addresses", profile.Addresses, 1, MaxAddresses);
        foreach (var a in profile.Addresses) Cidr("profile.addresses", a);

        List("profile.dns", profile.Dns, 0, MaxDns);
        foreach (var d in profile.Dns) IpAddress("profile.dns", d);

        if (profile.Mtu is { } mtu && (mtu < MinMtu || mtu > MaxMtu))
            throw Invalid($"profile.mtu: must be between {MinMtu} and {MaxMtu} (got {mtu})");

        List("profile.peers", profile.Peers, 1, MaxPeers);
        foreach (var peer in profile.Peers) Peer(peer);

        if (profile.PortForwardGateway is not null) IpAddress("profile.port_forward_gateway", profile.PortForwardGateway);
    }

    public static void Peer(PeerDto? peer)
    {
        if (peer is null) throw Invalid("profile.peers: null peer");
        Key("peer.public_key", peer.PublicKey);
        if (peer.PresharedKey is not null) Key("peer.preshared_key", peer.PresharedKey);
        Endpoint("peer.endpoint", peer.Endpoint);
        List("peer.allowed_ips", peer.AllowedIps, 1, MaxAllowedIps);
        foreach (var ip in peer.AllowedIps) Cidr("peer.allowed_ips", ip);
        if (peer.PersistentKeepalive is { } k && (k < 0 || k > 65535))
            throw Invalid("peer.persistent_keepalive: must be between 0 and 65535 seconds");
    }

    public static void Proxy(ProxyArgs proxy)
    {
        Port("proxy.socks_port", proxy.SocksPort);
        Port("proxy.http_port", proxy.HttpPort);
        if (proxy.SocksPort == proxy.HttpPort) throw Invalid("proxy: socks_port and http_port must differ");
        if ((proxy.Username is null) != (proxy.Password is null))
            throw Invalid("proxy: username and password go together");
        if (proxy.Username is not null)
        {
            Credential("proxy.username", proxy.Username, secret: false);
            // HTTP Basic joins user and password with ':'; a user name holding one could not be told apart.
            if (proxy.Username.Contains(':')) throw Invalid("proxy.username: must not contain ':'");
        }
        if (proxy.Password is not null) Credential("proxy.password", proxy.Password, secret: true);
        if (proxy.Allow is { } allow)
        {
            List("proxy.allow", allow, 0, MaxAllowEntries);
            foreach (var entry in allow)
                if (!IsAllowEntry(entry))
                    throw Invalid($"proxy.allow: entries are user:NAME or group:NAME (got {Preview(entry)})");
        }
    }

    public static void Port(string field, int port)
    {
        if (port is < 1 or > 65535) throw Invalid($"{field}: must be a port between 1 and 65535 (got {port})");
    }

    /// <summary>A WireGuard key: standard base64 of exactly 32 bytes (44 characters).</summary>
    public static void Key(string field, string? key)
    {
        if (!IsKey(key)) throw Invalid($"{field}: must be base64 of 32 bytes");
    }

    public static bool IsKey(string? key)
    {
        if (key is not { Length: 44 } || key[43] != '=' || key[42] == '=') return false;
        Span<byte> bytes = stackalloc byte[33];
        return Convert.TryFromBase64String(key, bytes, out var written) && written == 32;
    }

    public static void Cidr(string field, string? value)
    {
        if (!IsCidr(value)) throw Invalid($"{field}: must be an address with a prefix length, like 10.2.0.2/32 (got {Preview(value)})");
    }

    /// <summary>Address/prefix with an explicit, in-range prefix length; host bits may be set (interface addresses).</summary>
    public static bool IsCidr(string? value)
    {
        if (value is null || value.Length > 64) return false;
        var slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1) return false;
        if (!IsStrictIp(value[..slash], out var ip)) return false;
        var prefixText = value[(slash + 1)..];
        if (prefixText.Length > 3 || !prefixText.All(char.IsAsciiDigit)) return false;
        var prefix = int.Parse(prefixText, CultureInfo.InvariantCulture);
        return prefix <= (ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    public static void IpAddress(string field, string? value)
    {
        if (!IsStrictIp(value, out _)) throw Invalid($"{field}: must be an IP address (got {Preview(value)})");
    }

    /// <summary>
    /// Dotted-quad IPv4 or IPv6 without zone or brackets. <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone
    /// also takes forms like "1" or "0x7f.1" that other tools read differently, so the text must also round-trip.
    /// </summary>
    public static bool IsStrictIp(string? value, out IPAddress address)
    {
        address = IPAddress.None;
        if (value is null || value.Length is 0 or > 45) return false;
        foreach (var c in value)
            if (!(char.IsAsciiHexDigit(c) || c is '.' or ':')) return false;
        if (!IPAddress.TryParse(value, out var parsed)) return false;
        if (parsed.AddressFamily == AddressFamily.InterNetwork)
        {
            if (parsed.ToString() != value) return false;
        }
        else if (parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        address = parsed;
        return true;
    }

    public static void Endpoint(string field, string? value)
    {
        if (!IsEndpoint(value)) throw Invalid($"{field}: must be host:port or [IPv6]:port (got {Preview(value)})");
    }

    /// <summary><c>1.2.3.4:51820</c>, <c>[2001:db8::1]:51820</c> or <c>vpn.example.com:51820</c>.</summary>
    public static bool IsEndpoint(string? value)
    {
        if (value is null || value.Length is 0 or > MaxHostLength + 8) return false;
        string host, portText;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) return false;
            host = value[1..close];
            portText = value[(close + 2)..];
            if (!IsStrictIp(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || value.IndexOf(':') != colon) return false;
            host = value[..colon];
            portText = value[(colon + 1)..];
            if (!IsStrictIp(host, out _) && !IsHostName(host)) return false;
        }
        return portText.Length is > 0 and <= 5 && portText.All(char.IsAsciiDigit)
            && int.Parse(portText, CultureInfo.InvariantCulture) is >= 1 and <= 65535;
    }

    public static bool IsHostName(string host)
    {
        if (host.Length is 0 or > MaxHostLength) return false;
        var labels = host.TrimEnd('.').Split('.');
        // An all-numeric last label would be an odd IPv4 spelling, not a name.
        if (labels[^1].All(char.IsAsciiDigit)) return false;
        return labels.All(l => HostLabelPattern().IsMatch(l));
    }

    public static void Credential(string field, string value, bool secret)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes is 0 or > MaxCredentialBytes)
            throw Invalid($"{field}: must be 1 to {MaxCredentialBytes} bytes");
        if (!IsPrintableText(value))
            throw Invalid($"{field}: must not contain control characters" + (secret ? "" : $" (got {Preview(value)})"));
    }

    /// <summary>No control characters and no lone surrogate halves.</summary>
    public static bool IsPrintableText(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c)) return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) return false;
                i++;
            }
        }
        return true;
    }

    private static void OneOf(string field, string? value, IReadOnlySet<string> allowed)
    {
        if (value is null || !allowed.Contains(value))
            throw Invalid($"{field}: must be one of {string.Join(", ", allowed)} (got {Preview(value)})");
    }

    private static void List<T>(string field, IReadOnlyList<T>? list, int min, int max)
    {
        if (list is null) throw Invalid($"{field}: required");
        if (list.Count < min || list.Count > max) throw Invalid($"{field}: must hold {min} to {max} entries (got {list.Count})");
    }

    private static PrivilegedException Invalid(string message) => new(ErrorCodes.InvalidArgument, "invalid argument " + message);

    /// <summary>A short, printable, quoted rendering of a rejected value, safe for a one-line message and a log.</summary>
    public static string Preview(string? value)
    {
        if (value is null) return "null";
        var sb = new StringBuilder("'");
        foreach (var c in value.Length > 40 ? value[..40] : value)
            sb.Append(c is >= ' ' and < (char)0x7f && c != '\'' ? c : '?');
        if (value.Length > 40) sb.Append("...");
        return sb.Append('\'').ToString();
    }
}
