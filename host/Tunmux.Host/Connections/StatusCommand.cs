using System.Globalization;
using System.Net.Sockets;
using Tunmux.Contracts;
using Tunmux.Host.Privileged;
using Tunmux.Host.State;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>What the daemon said of its exits, or why it said nothing.</summary>
public sealed record DaemonView(IReadOnlyDictionary<string, TunnelInfo>? Tunnels, string? Unavailable)
{
    /// <summary>Other users' exits: the daemon shows them by name, mode and ports alone.</summary>
    public IReadOnlyList<TunnelInfo> Others => Tunnels?.Values.Where(t => t.OtherUser).ToList() ?? [];
}

/// <summary>
/// <c>tunmux status</c>: every recorded connection, whether it is really there (state files, sysfs and /proc,
/// which any user may read) and, from the daemon's supervisors, its health: state with the reason, latest
/// handshake, transfer, failovers, the server in use. It never loads a plugin and never starts the daemon: when
/// none runs, the exits are up but nobody watches them, and status says so. A failover the host had not seen
/// yet is written to the connection's record here. It also says whether the kill switch and lockdown are on,
/// and lists other users' exits by name and ports alone (what the daemon lets this user see of them).
/// </summary>
/// <param name="othersExits">Other users' exits instead of the daemon's answer (tests).</param>
/// <param name="daemon">The daemon's view instead of asking it (tests).</param>
public sealed class StatusCommand(TunmuxPaths paths, IConsoleIO console,
    Func<CancellationToken, Task<IReadOnlyList<TunnelInfo>>>? othersExits = null, Func<CancellationToken, Task<DaemonView>>? daemon = null)
{
    /// <summary>How long status waits for a daemon that accepted the connection but does not answer.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary><c>--check</c>: the what-is-my-IP URL each exit is asked through; null means no check.</summary>
    public Uri? CheckUrl { get; init; }

    public async Task<int> RunAsync(string? provider, bool json, CancellationToken ct)
    {
        var store = new ConnectionStore(paths);
        var all = store.List();
        var states = all.Where(s => provider is null || s.Provider == provider).ToList();
        var direct = all.FirstOrDefault(s => s.Instance == InstanceNames.Direct);
        var firewall = FirewallView.Read(PrivilegedPaths.FromEnvironment());
        var firewallLine = FirewallView.Describe(firewall, direct is not null, direct is not null && Liveness.Problems(direct).Count == 0);
        // One question to the daemon: the health of this user's exits and, unfiltered, which exits other users hold
        // (they carry no provider, so they belong to the unfiltered listing only).
        var wantOthers = provider is null && othersExits is null;
        var view = states.Count > 0 || wantOthers ? await (daemon ?? AskDaemonAsync)(ct) : new DaemonView(null, null);
        IReadOnlyList<TunnelInfo> others = provider is null
            ? othersExits is not null ? await othersExits(ct) : view.Others
            : [];
        var rows = new List<StatusRow>();
        foreach (var s in states)
        {
            var info = view.Tunnels?.GetValueOrDefault(s.Instance);
            var learned = await LearnAsync(store, s, info, ct);
            rows.Add(new StatusRow(learned, Liveness.Problems(learned), info, view));
        }
        if (CheckUrl is { } url)
        {
            // All exits at once: each request is bounded, and one dead exit must not hold up the others.
            var checks = await Task.WhenAll(rows.Select(r => r.Problems.Count > 0
                ? Task.FromResult<(string?, string?)>((null, "the exit is stale"))
                : ExitCheck.AskAsync(r.State, url, ct)));
            rows = rows.Select((r, i) => r with { Check = checks[i] }).ToList();
        }

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
        IReadOnlyList<string> headings = ["INSTANCE", "PROVIDER", "SERVER", "MODE", "BACKEND", "PROXY", "HANDSHAKE", "TRANSFER", "STATE"];
        console.WriteTable(
            CheckUrl is null ? headings : [.. headings, "EXIT ADDRESS"],
            rows.Select(r =>
            {
                IReadOnlyList<string> cells =
                [
                    r.State.Instance, r.State.Provider, r.ServerText, r.State.Mode, r.State.Backend,
                    ProxyText(r.State) + (r.Health?.ForwardedPort is { } fp ? $", forwarded :{fp}" : ""),
                    r.HandshakeText, r.TransferText, r.StateText + (r.RenewalDue ? ", renewal due" : ""),
                ];
                return CheckUrl is null ? cells : [.. cells, r.Check?.Address ?? "? " + r.Check?.Error];
            }));
        var stale = rows.Where(r => r.StateName == "stale").ToList();
        if (stale.Count > 0)
            console.Out.WriteLine($"\n{stale.Count} stale connection(s); clean up with 'tunmux disconnect <instance>'.");
        if (view.Unavailable is { } why && view.Tunnels is null)
            console.Out.WriteLine($"\nHealth unknown: {why}.");
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

    /// <summary>The record as the daemon knows the exit now: after a failover, the server in use and the count.</summary>
    internal static async Task<ConnectionState> LearnAsync(ConnectionStore store, ConnectionState s, TunnelInfo? info, CancellationToken ct)
    {
        if (info?.Server is not { } server || info.Health is not { } health) return s;
        // A proxy the supervisor started again has a new PID too.
        if (server.Name == s.Server && health.Failovers == s.Failovers && (info.ProxyPid is null || info.ProxyPid == s.ProxyPid)) return s;
        var learned = s with
        {
            Server = server.Name,
            Country = server.Country ?? s.Country,
            Endpoint = info.Endpoint ?? s.Endpoint,
            Failovers = health.Failovers,
            ProxyPid = info.ProxyPid ?? s.ProxyPid,
            // Until told otherwise the provider knows the server connected to first.
            ProviderServer = s.ProviderServer ?? s.Server,
        };
        try
        {
            using (await store.LockAsync(ct)) store.Save(learned);
        }
        catch (IOException)
        {
            // Shown as learned all the same; the next command writes it.
        }
        return learned;
    }

    /// <summary>The socket daemon's view, without starting one and without holding it up (no autostop request).</summary>
    private static Task<DaemonView> AskDaemonAsync(CancellationToken ct) => AskDaemonAsync(recordedOnly: false, ct);

    private const string NotRunning = "the privileged daemon is not running, so nothing supervises the exits";

    /// <summary>
    /// The socket daemon's view; <paramref name="recordedOnly"/> asks for its records and supervisors' news without
    /// inspecting each interface (cheap enough for any command).
    /// </summary>
    internal static async Task<DaemonView> AskDaemonAsync(bool recordedOnly, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) return new DaemonView(null, "no privileged daemon on this system");
        var options = new PrivilegedClientOptions { Autostart = false };
        // Without a socket there is nothing to wait for: said before the timeout is armed, since the process's first timer
        // starts the runtime's timer thread (milliseconds of every `status` without a daemon).
        if (!PrivilegedClient.SocketExists(options)) return new DaemonView(null, NotRunning);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Patience);
        try
        {
            await using var client = await PrivilegedClient.TryConnectAsync(options, timeout.Token);
            if (client is null) return new DaemonView(null, NotRunning);
            var list = recordedOnly ? await client.TunnelListRecordedAsync(timeout.Token) : await client.TunnelListAsync(timeout.Token);
            return new DaemonView(list.ToDictionary(t => t.Instance, StringComparer.Ordinal), null);
        }
        catch (PrivilegedException e)
        {
            return new DaemonView(null, e.Code == ErrorCodes.Unauthorized
                ? "this user may not ask the privileged daemon (not in its group)"
                : "the privileged daemon did not answer: " + e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // Status must work without the daemon.
            return new DaemonView(null, "the privileged daemon did not answer in time");
        }
    }

    /// <summary>One exit just brought up, as <c>status --json</c> lists it (<c>connect --json</c>).</summary>
    internal static object EntryJson(ConnectionState state, TunnelInfo info) =>
        new StatusRow(state, [], info, new DaemonView(new Dictionary<string, TunnelInfo>(StringComparer.Ordinal) { [state.Instance] = info }, null)).ToJson();

    private sealed record StatusRow(ConnectionState State, IReadOnlyList<string> Problems, TunnelInfo? Info, DaemonView View)
    {
        /// <summary>What <c>--check</c> found: the exit address, or why there is none; null without <c>--check</c>.</summary>
        public (string? Address, string? Error)? Check { get; init; }

        public HealthDto? Health => Info?.Health;

        /// <summary><c>up</c>, <c>degraded</c>, <c>failing-over</c>, <c>failed</c> or <c>stale</c>.</summary>
        public string StateName =>
            Problems.Count > 0 ? "stale"
            : Info is null && View.Tunnels is not null ? "stale"
            : Health?.State ?? "up";

        public string? StateReason =>
            Problems.Count > 0 ? string.Join(", ", Problems)
            : Info is null && View.Tunnels is not null ? "the privileged daemon has no record of it"
            : Info is null ? (View.Unavailable is { } why ? "not supervised: " + why : null)
            : Health?.Reason;

        public bool Supervised => Health?.Supervised == true;

        public string StateText => StateName switch
        {
            "up" when !Supervised => "up, unsupervised",
            "up" => "up",
            var name => StateReason is { } reason ? $"{name}: {reason}" : name,
        };

        public string ServerText => State.Failovers > 0 ? $"{State.Server} (failovers: {State.Failovers})" : State.Server;

        public string HandshakeText => Info?.LatestHandshake is { } h ? Age(DateTimeOffset.UtcNow - h) + " ago" : "-";

        public string TransferText => Health is { RxBytes: { } rx, TxBytes: { } tx } ? $"rx {Bytes(rx)}, tx {Bytes(tx)}" : "-";

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
            alive = StateName is not ("stale" or "failed"),
            problems = Problems,
            state = StateName,
            state_reason = StateReason,
            state_since = Health?.Since,
            supervised = Supervised,
            latest_handshake = Info?.LatestHandshake,
            handshake_age_s = Info?.LatestHandshake is { } h ? (long?)Math.Max(0, (long)(DateTimeOffset.UtcNow - h).TotalSeconds) : null,
            rx_bytes = Health?.RxBytes,
            tx_bytes = Health?.TxBytes,
            failover = Health?.Failover,
            failovers = State.Failovers,
            servers = Health?.Servers,
            proxy_restarts = Health?.ProxyRestarts,
            forwarded_port = Health?.ForwardedPort,
            log = Health?.Log,
            renew_after = State.RenewAfter,
            renewal_due = RenewalDue,
            exit_address = Check?.Address,
            check_error = Check?.Error,
        };
    }

    internal static string Age(TimeSpan t) =>
        t.TotalSeconds < 0 ? "0s"
        : t.TotalSeconds < 120 ? $"{(int)t.TotalSeconds}s"
        : t.TotalMinutes < 120 ? $"{(int)t.TotalMinutes}m"
        : t.TotalHours < 48 ? $"{(int)t.TotalHours}h"
        : $"{(int)t.TotalDays}d";

    internal static string Bytes(long b) =>
        b < 1024 ? $"{b} B"
        : b < 1 << 20 ? string.Create(CultureInfo.InvariantCulture, $"{b / 1024.0:0.#} KiB")
        : b < 1L << 30 ? string.Create(CultureInfo.InvariantCulture, $"{b / 1048576.0:0.#} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{b / 1073741824.0:0.##} GiB");
}
