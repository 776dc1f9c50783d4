using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace Tunmux.Privileged.Proxy.Dns;

/// <summary>
/// Resolves through the nameservers listed in <c>/etc/resolv.conf</c> as this process sees it.
/// The proxy runs under <c>ip netns exec</c>, which bind-mounts the namespace's
/// <c>/etc/netns/&lt;ns&gt;/resolv.conf</c> there, and its DNS sockets are created in the namespace,
/// so queries travel through the tunnel to the tunnel's DNS.
/// </summary>
/// <remarks>
/// Deliberately not getaddrinfo: glibc goes through nsswitch, whose <c>resolve</c> (systemd-resolved)
/// and nscd backends answer over Unix sockets that belong to the host and would resolve with the
/// host's DNS, leaking the name outside the tunnel. Talking DNS directly to the listed servers
/// has no such side door.
/// </remarks>
public sealed class NamespaceResolver : IHostResolver
{
    private readonly LookupClient _client;

    public NamespaceResolver(IReadOnlyList<IPEndPoint> nameservers)
    {
        if (nameservers.Count == 0) throw new ArgumentException("no nameserver to resolve with", nameof(nameservers));
        Nameservers = nameservers;
        _client = new LookupClient(new LookupClientOptions(nameservers.Select(e => new NameServer(e)).ToArray())
        {
            UseCache = true,
            Timeout = TimeSpan.FromSeconds(3),
            Retries = 1,
            UseTcpFallback = true,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
        });
    }

    public IReadOnlyList<IPEndPoint> Nameservers { get; }

    /// <summary>Reads the <c>nameserver</c> lines of a resolv.conf (port 53).</summary>
    public static IReadOnlyList<IPEndPoint> ReadResolvConf(string path = "/etc/resolv.conf")
    {
        var list = new List<IPEndPoint>();
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (!line.StartsWith("nameserver", StringComparison.Ordinal)) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            // A link-local IPv6 server may carry a %scope; IPAddress parses it.
            if (parts.Length >= 2 && IPAddress.TryParse(parts[1], out var ip)) list.Add(new IPEndPoint(ip, 53));
        }
        return list;
    }

    public async ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        var a = _client.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
        var aaaa = _client.QueryAsync(host, QueryType.AAAA, QueryClass.IN, cancellationToken);
        IDnsQueryResponse ra, raaaa;
        try
        {
            ra = await a.ConfigureAwait(false);
            raaaa = await aaaa.ConfigureAwait(false);
        }
        catch (DnsResponseException e)
        {
            throw new HostResolutionException(host, notFound: false, e.Message);
        }
        catch (SocketException e)
        {
            throw new HostResolutionException(host, notFound: false, e.Message);
        }

        // IPv4 first: tunnels nearly always route IPv4, not always IPv6.
        var addresses = ra.Answers.OfType<ARecord>().Select(r => r.Address)
            .Concat(raaaa.Answers.OfType<AaaaRecord>().Select(r => r.Address))
            .ToArray();
        if (addresses.Length > 0) return addresses;
        var notFound = ra.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain
                       || (!ra.HasError && !raaaa.HasError);
        throw new HostResolutionException(host, notFound, notFound ? "no such host" : ra.ErrorMessage);
    }
}
