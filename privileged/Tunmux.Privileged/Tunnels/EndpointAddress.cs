using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>A WireGuard endpoint (<c>host:port</c>, <c>[IPv6]:port</c>) as an address and a port.</summary>
internal static class EndpointAddress
{
    /// <summary>Splits an endpoint whose host is an address; false for a name or anything malformed.</summary>
    public static bool TryParse(string? endpoint, out IPAddress address, out int port)
    {
        address = IPAddress.None;
        port = 0;
        if (!TrySplit(endpoint, out var host, out port)) return false;
        return IPAddress.TryParse(host, out address!) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;
    }

    public static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{address}]:{port.ToString(CultureInfo.InvariantCulture)}"
            : $"{address}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The endpoint with its host name resolved now, the way <c>wg</c> itself would (first answer of the system
    /// resolver). The firewall lets exactly this address through, so WireGuard must be given the same one.
    /// </summary>
    public static async Task<string> ResolveAsync(string endpoint, CancellationToken ct)
    {
        if (TryParse(endpoint, out _, out _)) return endpoint;
        if (!TrySplit(endpoint, out var host, out var port))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"endpoint {endpoint} is not host:port");
        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, ct);
        }
        catch (SocketException e)
        {
            throw new PrivilegedException(ErrorCodes.Failed,
                $"cannot resolve the server's name {host}: {e.Message}; check DNS (lockdown blocks it: use the server's address instead)");
        }
        var first = found.FirstOrDefault(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                    ?? throw new PrivilegedException(ErrorCodes.Failed, $"the server's name {host} has no address");
        return Format(first.IsIPv4MappedToIPv6 ? first.MapToIPv4() : first, port);
    }

    private static bool TrySplit(string? endpoint, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrEmpty(endpoint)) return false;
        string portText;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) return false;
            host = endpoint[1..close];
            portText = endpoint[(close + 2)..];
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon <= 0 || endpoint.IndexOf(':') != colon) return false;
            host = endpoint[..colon];
            portText = endpoint[(colon + 1)..];
        }
        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }
}
