using Tunmux.Contracts;
using Tunmux.Host.State;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux status</c>: every recorded connection and whether it is really alive, and whether the kill
/// switch and lockdown are on. Reads only state files, sysfs and /proc, so it needs neither a plugin nor the daemon;
/// when a daemon runs and lets this user in, it also lists other users' exits, by name and ports alone.
/// </summary>
public sealed class StatusCommand(TunmuxPaths paths, IConsoleIO console, Func<CancellationToken, Task<IReadOnlyList<TunnelInfo>>>? othersExits = null)
{
    public async Task<int> RunAsync(string? provider, bool json, CancellationToken ct)
    {
        // Other users' exits carry no provider, so they belong to the unfiltered listing only.
        var others = provider is null ? await (othersExits ?? OtherUsersExits.AskDaemonAsync)(ct) : [];
        return Print(provider, json, others);
    }

    private int Print(string? provider, bool json, IReadOnlyList<TunnelInfo> others)
    {
        var all = new ConnectionStore(paths).List().Select(s => new StatusRow(s, Liveness.Problems(s))).ToList();
        var rows = all.Where(r => provider is null || r.State.Provider == provider).ToList();
        var direct = all.FirstOrDefault(r => r.State.Instance == InstanceNames.Direct);
        var firewall = FirewallView.Read(PrivilegedPaths.FromEnvironment());
        var firewallLine = FirewallView.Describe(firewall, direct is not null, direct is { Problems.Count: 0 });

        if (json)
        {
            console.WriteJson(new
            {
                connections = rows.Select(r => r.ToJson()),
                other_users = others.Select(OtherUsersExits.ToJson),
                firewall = FirewallView.ToJson(firewall),
            });
            return 0;
        }
        if (rows.Count == 0)
        {
            console.Out.WriteLine(provider is null ? "No active connections." : $"No active {provider} connections.");
            OtherUsersExits.Write(console, others);
            console.Out.WriteLine(firewallLine);
            return 0;
        }
        console.WriteTable(
            ["INSTANCE", "PROVIDER", "SERVER", "MODE", "BACKEND", "PROXY", "STATE"],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r.State.Instance, r.State.Provider, r.State.Server, r.State.Mode, r.State.Backend,
                ProxyText(r.State), (r.Problems.Count == 0 ? "up" : "stale: " + string.Join(", ", r.Problems)) + (r.RenewalDue ? ", renewal due" : ""),
            ]));
        var stale = rows.Where(r => r.Problems.Count > 0).ToList();
        if (stale.Count > 0)
            console.Out.WriteLine($"\n{stale.Count} stale connection(s); clean up with 'tunmux disconnect <instance>'.");
        foreach (var due in rows.Where(r => r.RenewalDue).Select(r => r.State.Provider).Distinct())
            console.Out.WriteLine($"\nRenewal due for {due}: run 'tunmux {due} refresh' (any {due} command does it too).");
        console.Out.WriteLine();
        OtherUsersExits.Write(console, others);
        console.Out.WriteLine(firewallLine);
        return 0;
    }

    public static string ProxyText(ConnectionState s) =>
        s.SocksPort is { } socks ? $"SOCKS5 :{socks}, HTTP :{s.HttpPort}" : "-";

    /// <summary>Who may use a proxy exit's ports besides root.</summary>
    public static string AccessText(ConnectionState s) =>
        s.ProxyShare ? "every local user (--proxy-share)"
        : s.ProxyAllow is { Count: > 0 } ? "you and " + string.Join(", ", s.ProxyAllow)
        : "you only (and root)";

    private sealed record StatusRow(ConnectionState State, IReadOnlyList<string> Problems)
    {
        /// <summary>The provider's credential of the tunnel is due for renewal (<c>tunmux &lt;provider&gt; refresh</c>); known from the record alone.</summary>
        public bool RenewalDue { get; } = RefreshCommand.IsDue(State, DateTimeOffset.UtcNow);

        public object ToJson() => new
        {
            instance = State.Instance,
            provider = State.Provider,
            server = State.Server,
            country = State.Country,
            mode = State.Mode,
            backend = State.Backend,
            backend_reason = State.BackendReason,
            @interface = State.Interface,
            @namespace = State.Namespace,
            endpoint = State.Endpoint,
            socks_port = State.SocksPort,
            http_port = State.HttpPort,
            proxy_pid = State.ProxyPid,
            proxy_share = State.IsProxy ? State.ProxyShare : (bool?)null,
            proxy_allow = State.IsProxy ? State.ProxyAllow ?? [] : null,
            connected_at = State.ConnectedAt,
            alive = Problems.Count == 0,
            problems = Problems,
            renew_after = State.RenewAfter,
            renewal_due = RenewalDue,
        };
    }
}
