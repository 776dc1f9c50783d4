using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// Strict checks of a tunnel intent before anything touches the system: every value that later
/// becomes a command argument or a file line has a narrow, known shape.
/// </summary>
internal static partial class TunnelArgsValidator
{
    public const int DefaultMtu = 1420;
    public static readonly string[] Backends = ["auto", "wg-quick", "userspace", "kernel"];
    public static readonly string[] UserspaceNames = ["wireguard-go", "boringtun"];

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,31}$")]
    private static partial Regex ProviderPattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$")]
    private static partial Regex HostNamePattern();

    public static void Validate(TunnelUpArgs args)
    {
        if (!InstanceNames.IsValidInstance(args.Instance))
            Fail($"instance name '{args.Instance}' is not valid (1-{InstanceNames.MaxInstanceLength} characters a-z, 0-9, '-', '_')");
        if (!ProviderPattern().IsMatch(args.Provider))
            Fail($"provider name '{args.Provider}' is not valid (a-z, 0-9, '.', '-', '_')");
        if (args.Mode is not (TunnelModes.Direct or TunnelModes.Proxy))
            Fail($"mode '{args.Mode}' is not valid: use direct or proxy");
        if (!Backends.Contains(args.Backend))
            Fail($"backend '{args.Backend}' is not valid: use {string.Join(", ", Backends)}");
        if (args.UserspaceImplementation is { } impl && !UserspaceNames.Contains(impl))
            Fail($"userspace implementation '{impl}' is not valid: use {string.Join(" or ", UserspaceNames)}");
        if (args.HandshakeTimeoutMs is { } t && t is < 100 or > 120_000)
            Fail("handshake timeout must be between 100 and 120000 ms");

        var p = args.Profile;
        Key(p.PrivateKey, "private key");
        if (p.Addresses.Count == 0) Fail("the profile has no interface address");
        foreach (var a in p.Addresses) Cidr(a, "address");
        foreach (var d in p.Dns)
            if (!IPAddress.TryParse(d, out _)) Fail($"DNS server '{d}' is not an IP address");
        if (p.Mtu is { } mtu && mtu is < 576 or > 9000) Fail($"MTU {mtu} is out of range (576-9000)");
        if (p.Peers.Count != 1) Fail($"the profile must have exactly one peer, it has {p.Peers.Count}");
        var peer = p.Peers[0];
        Key(peer.PublicKey, "peer public key");
        if (peer.PresharedKey is { } psk) Key(psk, "preshared key");
        Endpoint(peer.Endpoint);
        if (peer.AllowedIps.Count == 0) Fail("the peer has no allowed IPs");
        foreach (var a in peer.AllowedIps) Cidr(a, "allowed IP");
        if (peer.PersistentKeepalive is { } k && k is < 0 or > 65535) Fail("persistent keepalive must be 0-65535 seconds");

        if (args.Mode == TunnelModes.Proxy && args.Proxy is { } proxy)
        {
            if (proxy.SocksPort is < 1 or > 65535 || proxy.HttpPort is < 1 or > 65535)
                Fail("proxy ports must be 1-65535");
        }
    }

    public static bool IsIPv6(string cidr) => cidr.Contains(':');

    private static void Key(string key, string what)
    {
        Span<byte> buffer = stackalloc byte[33];
        if (key.Length != 44 || !Convert.TryFromBase64String(key, buffer, out var n) || n != 32)
            Fail($"{what} is not a WireGuard key (base64 of 32 bytes)");
    }

    private static void Cidr(string value, string what)
    {
        var slash = value.IndexOf('/');
        var ip = slash < 0 ? value : value[..slash];
        if (!IPAddress.TryParse(ip, out var address) || ip.Contains('%'))
            Fail($"{what} '{value}' is not an IP address or CIDR prefix");
        var max = address!.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (slash >= 0 && (!int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > max))
            Fail($"{what} '{value}' has an invalid prefix length");
    }

    private static void Endpoint(string endpoint)
    {
        string host, port;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) Fail($"endpoint '{endpoint}' is not [address]:port");
            host = endpoint[1..close];
            port = endpoint[(close + 2)..];
            if (!IPAddress.TryParse(host, out var a) || a.AddressFamily != AddressFamily.InterNetworkV6)
                Fail($"endpoint '{endpoint}' is not [address]:port");
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0) Fail($"endpoint '{endpoint}' is not host:port");
            host = endpoint[..colon];
            port = endpoint[(colon + 1)..];
            if (!IPAddress.TryParse(host, out _) && (host.Length > 253 || !HostNamePattern().IsMatch(host)))
                Fail($"endpoint host '{host}' is not an address or host name");
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            Fail($"endpoint '{endpoint}' has no valid port");
    }

    private static void Fail(string message) => throw new PrivilegedException(ErrorCodes.InvalidArgument, message);
}
