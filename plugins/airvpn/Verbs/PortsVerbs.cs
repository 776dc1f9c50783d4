using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary><c>ports list|add|info|check|set|remove</c>.</summary>
internal sealed class PortsVerbs(AirAccount account, IProviderContext context)
{
    private IConsoleIO Console => context.Console;

    public Task<int> RunAsync(object options, CancellationToken ct) =>
        // Every number and protocol is checked before the first request.
        options switch
        {
            PortsList o => Web((site, c) => ListAsync(site, o.Json, c), ct),
            // Port 0 asks AirVPN to pick a free port.
            PortsAdd o => AddAsync(Input.Port(o.Port, "port", min: 0), Input.Protocol(o.Protocol) ?? "both", o.Ddns, Input.OptionalPort(o.Local, "--local"), ct),
            PortsInfo o => Info(Input.Port(o.Port, "port"), o.Json, ct),
            PortsCheck o => Check(Input.Port(o.Port, "port"), o.Json, ct),
            PortsSet o => SetAsync(Input.Port(o.Port, "port"), Input.Protocol(o.Protocol), o.Ddns, Input.OptionalPort(o.Local, "--local"), ct),
            PortsRemove o => Remove(Input.Port(o.Port, "port"), ct),
            _ => throw new ProviderException("airvpn: unknown ports verb; use list, add, info, check, set or remove"),
        };

    private Task<int> Web(Func<AirSite, CancellationToken, Task> work, CancellationToken ct) => SiteAccess.RunAsync(account, context, work, ct);

    private async Task ListAsync(AirSite site, bool json, CancellationToken ct)
    {
        var ports = await site.ListPortsAsync(ct);
        if (json)
        {
            Console.WriteJson(ports.Select(p => new { p.Port, Protocol = Display(p.Protocol), p.Local, p.Device, p.Enabled, Ddns = DdnsName(p.Ddns) }));
            return;
        }
        if (ports.Count == 0)
        {
            Console.Out.WriteLine("No forwarded ports.");
            return;
        }
        Console.WriteTable(["Port", "Protocol", "Local", "Device", "Enabled", "DDNS"],
            ports.Select(p => (IReadOnlyList<string>)[p.Port.ToString(), Display(p.Protocol), p.Local?.ToString() ?? "-", p.Device, p.Enabled ? "yes" : "no", DdnsName(p.Ddns) ?? "-"]));
    }

    private Task<int> AddAsync(int port, string protocol, string? ddns, int? local, CancellationToken ct) => Web(async (site, c) =>
    {
        var assigned = await site.AddPortAsync(port, c);
        var added = await FindAsync(site, assigned, c);
        if (protocol != "both") await site.SetProtocolAsync(added, protocol, c);
        if (local is { } l) await site.SetLocalAsync(added, l, c);
        if (ddns is not null) await site.SetDdnsAsync(added, ddns, c);
        Console.Out.WriteLine($"Port {assigned} forwarded ({protocol}{(local is { } lp ? $", to local port {lp}" : "")}{(ddns is not null ? $", {AirSite.DdnsPrefix(ddns)}.airdns.org" : "")})");
    }, ct);

    private Task<int> Info(int port, bool json, CancellationToken ct) => Web(async (site, c) =>
    {
        var p = await FindAsync(site, port, c);
        var sessions = await site.PortSessionsAsync(p, c);
        if (json)
        {
            Console.WriteJson(new { p.Port, Protocol = Display(p.Protocol), p.Local, p.Device, p.Enabled, Ddns = DdnsName(p.Ddns), Sessions = sessions });
            return;
        }
        Console.Out.WriteLine($"Port {p.Port}: {Display(p.Protocol)}, local {p.Local?.ToString() ?? "same"}, device {p.Device}, DDNS {DdnsName(p.Ddns) ?? "-"}, {(p.Enabled ? "enabled" : "disabled")}");
        if (sessions.Count == 0)
        {
            Console.Out.WriteLine("No active session serves this port.");
            return;
        }
        Console.WriteTable(["Server", "Location", "Protocol", "IP layer", "Server IP", "Client IP", "Device"],
            sessions.Select(s => (IReadOnlyList<string>)[s.ServerName, $"{s.ServerLocation} ({s.ServerCountry.ToUpperInvariant()})", s.Protocol.ToUpperInvariant(), s.IpLayer, s.ServerIp, s.ClientIp, s.DeviceName]));
    }, ct);

    private Task<int> Check(int port, bool json, CancellationToken ct) => Web(async (site, c) =>
    {
        var p = await FindAsync(site, port, c);
        var sessions = await site.PortSessionsAsync(p, c);
        if (sessions.Count == 0)
            throw new ProviderException($"airvpn: port {port} cannot be checked: no VPN session is connected; connect first, then check");
        var results = new List<object>();
        var rows = new List<IReadOnlyList<string>>();
        // A session may be listed once per IP layer; test each server address and protocol once.
        foreach (var s in sessions.DistinctBy(s => (s.ServerIp, s.Protocol)))
        {
            var message = await site.TestPortAsync(p, s, c);
            results.Add(new { Server = s.ServerName, s.ServerIp, Protocol = s.Protocol.ToUpperInvariant(), s.IpLayer, Result = message });
            rows.Add([s.ServerName, s.ServerIp, s.Protocol.ToUpperInvariant(), s.IpLayer, message]);
        }
        if (json) Console.WriteJson(results);
        else Console.WriteTable(["Server", "Server IP", "Protocol", "IP layer", "Result"], rows);
    }, ct);

    private Task<int> SetAsync(int port, string? protocol, string? ddns, int? local, CancellationToken ct)
    {
        if (protocol is null && ddns is null && local is null)
            throw new ProviderException("airvpn: nothing to change; give --protocol, --local or --ddns");
        return Web(async (site, c) =>
        {
            var p = await FindAsync(site, port, c);
            if (protocol is not null) await site.SetProtocolAsync(p, protocol, c);
            if (local is { } l) await site.SetLocalAsync(p, l, c);
            if (ddns is not null) await site.SetDdnsAsync(p, ddns, c);
            Console.Out.WriteLine($"Port {port} updated");
        }, ct);
    }

    private Task<int> Remove(int port, CancellationToken ct) => Web(async (site, c) =>
    {
        await site.RemovePortAsync(await FindAsync(site, port, c), c);
        Console.Out.WriteLine($"Port {port} removed");
    }, ct);

    private static async Task<ForwardedPort> FindAsync(AirSite site, int port, CancellationToken ct)
    {
        var ports = await site.ListPortsAsync(ct);
        return ports.FirstOrDefault(p => p.Port == port)
            ?? throw new ProviderException(ports.Count == 0
                ? $"airvpn: port {port} is not forwarded; no port is; add one with 'tunmux airvpn ports add PORT'"
                : $"airvpn: port {port} is not forwarded; forwarded ports: {string.Join(", ", ports.Select(p => p.Port))}");
    }

    private static string Display(string siteProtocol) => siteProtocol is "tcp_udp" or "" ? "both" : siteProtocol;

    private static string? DdnsName(string prefix) => prefix.Length == 0 ? null : prefix + ".airdns.org";
}
