using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>What the supervisor does to an exit. The real one changes the interface; tests use a fake.</summary>
public interface IExitControl
{
    /// <summary>Forces a new handshake with the server in use, its endpoint resolved again when it is a name.</summary>
    Task RehandshakeAsync(CancellationToken ct);

    /// <summary>Puts ranked profile <paramref name="index"/> on the interface (peer, keys, addresses, routes, DNS), in the same namespace.</summary>
    Task SwitchAsync(int index, CancellationToken ct);

    /// <summary>The handshake is done: the profile's own keepalive replaces the temporary one.</summary>
    Task SettleAsync(CancellationToken ct);

    /// <summary>One probe through the tunnel: answered, not, or null when there is nothing to ask.</summary>
    Task<bool?> ProbeAsync(TimeSpan timeout, CancellationToken ct);

    bool HasProxy { get; }

    bool ProxyRunning();

    /// <summary>The proxy's last log line (why it ended), if any.</summary>
    string? ProxyLastWords();

    /// <summary>Starts the proxy again on the listeners the daemon kept.</summary>
    Task RestartProxyAsync(CancellationToken ct);

    /// <summary>Maps (or renews) the public port at the profile's gateway; null when the profile forwards no port.</summary>
    Task<int?> MapPortAsync(int? previousPort, TimeSpan lifetime, CancellationToken ct);
}

/// <summary>An exit's endpoint is about to change (a failover, or the endpoint's name resolving to another address).</summary>
/// <param name="Instance">The exit.</param>
/// <param name="Mode"><c>direct</c> or <c>proxy</c>.</param>
/// <param name="Interface">Its WireGuard interface.</param>
/// <param name="Namespace">Its namespace in proxy mode.</param>
/// <param name="From">The address and port the interface sent to so far.</param>
/// <param name="To">The address and port it sends to next (always an address, never a name).</param>
/// <param name="Server">The server the new endpoint belongs to.</param>
public sealed record EndpointChange(string Instance, string Mode, string Interface, string? Namespace, string? From, string To, string Server);

/// <summary>
/// Changes an exit's interface for its supervisor: the same commands the tunnel steps use (<c>wg set</c>,
/// <c>ip</c>), keys through stdin only, and the exit's record saved after each change so <c>down</c>, a
/// restarted daemon and <c>status</c> see the exit as it is.
/// </summary>
internal sealed class ExitControl : IExitControl, IDisposable
{
    private const string TemporaryKeepalive = "25";

    private readonly TunnelRecord _record;
    private readonly ExitPlan _plan;
    private readonly SystemCommands _commands;
    private readonly TunnelRecordStore _store;
    private readonly IProxyLauncher _proxy;
    private readonly PrivilegedPaths _paths;
    private readonly Func<EndpointChange, CancellationToken, Task> _endpointChanging;
    private readonly Func<EndpointChange, CancellationToken, Task> _endpointChanged;
    private readonly ConnectivityProbe _probe;
    private readonly NatPmpClient _natPmp;
    private string? _resolvedEndpoint;

    public ExitControl(TunnelRecord record, ExitPlan plan, SystemCommands commands, TunnelRecordStore store, IProxyLauncher proxy,
        PrivilegedPaths paths, Func<EndpointChange, CancellationToken, Task> endpointChanging,
        Func<EndpointChange, CancellationToken, Task> endpointChanged)
    {
        _record = record;
        _plan = plan;
        _commands = commands;
        _store = store;
        _proxy = proxy;
        _paths = paths;
        _endpointChanging = endpointChanging;
        _endpointChanged = endpointChanged;
        _probe = new ConnectivityProbe(record.Namespace);
        _natPmp = new NatPmpClient(record.Namespace);
        // What the interface sends to now, when the record says it as an address (a name is resolved at the first change).
        var colon = record.Endpoint.LastIndexOf(':');
        if (colon > 0 && IPAddress.TryParse(record.Endpoint[..colon].Trim('[', ']'), out _)) _resolvedEndpoint = record.Endpoint;
    }

    private ProfileDto Profile => _plan.Profiles[Math.Clamp(_record.ProfileIndex, 0, _plan.Profiles.Count - 1)].Profile;

    /// <summary>A kernel link is visible only in its namespace; a userspace one answers on its socket from anywhere.</summary>
    private string? WgNamespace => _record.DataPlane == "kernel" ? _record.Namespace : null;

    public async Task RehandshakeAsync(CancellationToken ct)
    {
        var peer = Profile.Peers[0];
        var endpoint = await ResolveAsync(peer.Endpoint, ct).ConfigureAwait(false);
        var previous = _resolvedEndpoint;
        var server = _record.Server?.Name ?? _record.Instance;
        await AnnounceAsync(endpoint, server, ct).ConfigureAwait(false);
        // Removing the peer drops its session; set again with a keepalive, it starts a handshake at once.
        await _commands.WgAsync(WgNamespace, ["set", _record.Interface, "peer", peer.PublicKey, "remove"], null, ct).ConfigureAwait(false);
        await SetPeerAsync(peer, endpoint, ct).ConfigureAwait(false);
        if (_record.Endpoint != endpoint)
        {
            _record.Endpoint = endpoint;
            _store.Save(_record);
        }
        if (previous != endpoint) await ChangedAsync(previous, endpoint, server, ct).ConfigureAwait(false);
    }

    public async Task SwitchAsync(int index, CancellationToken ct)
    {
        var from = Profile;
        var to = _plan.Profiles[index];
        var peer = to.Profile.Peers[0];
        var endpoint = await ResolveAsync(peer.Endpoint, ct).ConfigureAwait(false);
        var previous = _resolvedEndpoint;
        await AnnounceAsync(endpoint, to.Server.Name, ct).ConfigureAwait(false);

        var r = _record;
        await _commands.WgAsync(WgNamespace, ["set", r.Interface, "peer", from.Peers[0].PublicKey, "remove"], null, ct).ConfigureAwait(false);
        if (to.Profile.PrivateKey != from.PrivateKey)
            await _commands.WgAsync(WgNamespace, ["set", r.Interface, "private-key", "/dev/stdin"], to.Profile.PrivateKey + "\n", ct).ConfigureAwait(false);
        // Recorded before the peer is set, so whatever fails next, down removes what is there.
        r.ProfileIndex = index;
        r.PeerPublicKey = peer.PublicKey;
        // The address the interface sends to, as the firewall's records expect it (never a name).
        r.Endpoint = endpoint;
        r.PersistentKeepalive = peer.PersistentKeepalive;
        r.Server = to.Server;
        _store.Save(r);
        await SetPeerAsync(peer, endpoint, ct).ConfigureAwait(false);

        await SwitchAddressesAsync(from.Addresses, to.Profile.Addresses, ct).ConfigureAwait(false);
        // The probe's socket was connected from the old address.
        _probe.Reset();
        var newMtu = to.Profile.Mtu ?? TunnelArgsValidator.DefaultMtu;
        if (newMtu != r.Mtu)
        {
            await _commands.IpAsync(r.Namespace, ["link", "set", "mtu", newMtu.ToString(CultureInfo.InvariantCulture), "dev", r.Interface], ct).ConfigureAwait(false);
            r.Mtu = newMtu;
        }
        var routesChanged = !r.AllowedIps.SequenceEqual(peer.AllowedIps) || Families(from.Addresses) != Families(to.Profile.Addresses);
        r.AllowedIps = peer.AllowedIps;
        if (routesChanged && r.IsProxy) await ReplaceNamespaceRoutesAsync(ct).ConfigureAwait(false);
        var dnsChanged = !r.Dns.SequenceEqual(to.Profile.Dns);
        r.Dns = to.Profile.Dns;
        _store.Save(r);
        if (dnsChanged && r.IsProxy)
        {
            WriteNamespaceDns();
            // The proxy read the old servers at start: start it again (same listeners) to use the new ones.
            if (HasProxy) await RestartProxyAsync(ct).ConfigureAwait(false);
        }
        // The interface and the record now name the new server (endpoint, addresses, DNS): what followed the
        // announced endpoint (the firewall) drops the old one.
        await ChangedAsync(previous, endpoint, to.Server.Name, ct).ConfigureAwait(false);
    }

    public async Task SettleAsync(CancellationToken ct)
    {
        var peer = Profile.Peers[0];
        var keepalive = peer.PersistentKeepalive is { } k and > 0 ? k.ToString(CultureInfo.InvariantCulture) : "off";
        await _commands.WgAsync(WgNamespace, ["set", _record.Interface, "peer", peer.PublicKey, "persistent-keepalive", keepalive], null, ct)
            .ConfigureAwait(false);
    }

    public Task<bool?> ProbeAsync(TimeSpan timeout, CancellationToken ct)
    {
        var dns = Profile.Dns.Select(d => IPAddress.TryParse(d, out var ip) ? ip : null).FirstOrDefault(ip => ip is not null);
        return _probe.ProbeAsync(dns, timeout, ct);
    }

    public bool HasProxy => _record.SocksPort is not null;

    public bool ProxyRunning() => _proxy.RunningPid(_record.Instance) is not null;

    public string? ProxyLastWords()
    {
        try
        {
            return File.ReadLines(_paths.ProxyLogFile(_record.Instance)).LastOrDefault(l => l.Trim().Length > 0);
        }
        catch (IOException) { return null; }
    }

    public async Task RestartProxyAsync(CancellationToken ct)
    {
        var p = _plan.Proxy ?? throw new InvalidOperationException("the exit has no proxy settings");
        // The same spec as the first start: its owner and allow list go with it, so the new process asks the kernel
        // who each client is just as the old one did.
        _record.ProxyPid = await _proxy.StartAsync(Steps.NamespaceSteps.ProxySpec(_record, p), ct).ConfigureAwait(false);
        _store.Save(_record);
    }

    public async Task<int?> MapPortAsync(int? previousPort, TimeSpan lifetime, CancellationToken ct)
    {
        if (Profile.PortForwardGateway is not { } gateway) return null;
        var port = await _natPmp.MapAsync(IPAddress.Parse(gateway), previousPort, lifetime, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        if (_record.ForwardedPort != port)
        {
            _record.ForwardedPort = port;
            _store.Save(_record);
        }
        return port;
    }

    private async Task SetPeerAsync(PeerDto peer, string endpoint, CancellationToken ct)
    {
        var set = new List<string> { "set", _record.Interface, "peer", peer.PublicKey };
        if (peer.PresharedKey is not null) set.AddRange(["preshared-key", "/dev/stdin"]);
        set.AddRange(["endpoint", endpoint, "allowed-ips", string.Join(',', peer.AllowedIps), "persistent-keepalive", TemporaryKeepalive]);
        await _commands.WgAsync(WgNamespace, set, peer.PresharedKey is null ? null : peer.PresharedKey + "\n", ct).ConfigureAwait(false);
        _resolvedEndpoint = endpoint;
    }

    private Task ChangedAsync(string? from, string to, string server, CancellationToken ct) =>
        _endpointChanged(new EndpointChange(_record.Instance, _record.Mode, _record.Interface, _record.Namespace, from, to, server), ct);

    private async Task AnnounceAsync(string endpoint, string server, CancellationToken ct)
    {
        if (endpoint == _resolvedEndpoint) return;
        await _endpointChanging(new EndpointChange(_record.Instance, _record.Mode, _record.Interface, _record.Namespace,
            _resolvedEndpoint, endpoint, server), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>host:port</c> with the host resolved here, in the daemon's namespace, where the encrypted traffic goes
    /// (wg would resolve a name inside the exit's namespace for a kernel link, through the dead tunnel).
    /// </summary>
    internal static async Task<string> ResolveAsync(string endpoint, CancellationToken ct)
    {
        var colon = endpoint.LastIndexOf(':');
        var host = endpoint[..colon].Trim('[', ']');
        var port = endpoint[(colon + 1)..];
        if (IPAddress.TryParse(host, out _)) return endpoint;
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new CommandFailedException($"cannot resolve the endpoint {host}: {e.Message}");
        }
        var ip = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                 ?? throw new CommandFailedException($"the endpoint {host} resolves to no address");
        return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
    }

    private async Task SwitchAddressesAsync(IReadOnlyList<string> from, IReadOnlyList<string> to, CancellationToken ct)
    {
        var r = _record;
        foreach (var a in to.Except(from))
            await _commands.IpAsync(r.Namespace, [Steps.InterfaceSteps.Family(a), "address", "add", a, "dev", r.Interface], ct).ConfigureAwait(false);
        foreach (var a in from.Except(to))
            await _commands.IpTryAsync(r.Namespace, [Steps.InterfaceSteps.Family(a), "address", "del", a, "dev", r.Interface], ct).ConfigureAwait(false);
        r.Addresses = to;
    }

    private static string Families(IReadOnlyList<string> addresses) =>
        (addresses.Any(TunnelArgsValidator.IsIPv6) ? "6" : "") + (addresses.Any(a => !TunnelArgsValidator.IsIPv6(a)) ? "4" : "");

    /// <summary>The namespace's routes anew, as <see cref="Steps.NamespaceSteps"/> sets them (the namespace has no other).</summary>
    private async Task ReplaceNamespaceRoutesAsync(CancellationToken ct)
    {
        var r = _record;
        await _commands.IpTryAsync(r.Namespace, ["-4", "route", "flush", "table", "main"], ct).ConfigureAwait(false);
        await _commands.IpTryAsync(r.Namespace, ["-6", "route", "flush", "table", "main"], ct).ConfigureAwait(false);
        await Steps.NamespaceSteps.AddRoutesAsync(_commands, r, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Rewrites the namespace's resolv.conf in place (truncate and write): processes started with <c>ip netns exec</c>
    /// see it through a bind mount of this very file, which a rename would leave pointing at the old one.
    /// </summary>
    private void WriteNamespaceDns()
    {
        var path = Path.Combine(_commands.Tools.NetnsEtcDir, _record.Namespace!, "resolv.conf");
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(Encoding.UTF8.GetBytes(Steps.NamespaceSteps.ResolvConf(_record)));
    }

    public void Dispose() => _probe.Dispose();
}
