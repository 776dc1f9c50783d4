using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Logging;
using Tunmux.Host.Rootless;
using Tunmux.Host.State;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy.Access;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>connect</c> for every provider: the plugin picks the server and hands back a profile;
/// the host names the instance, assigns ports, asks the daemon to bring it up and records it.
/// </summary>
internal sealed class ConnectCommand(IVpnProvider provider, TunmuxConfig config, TunmuxPaths paths, IConsoleIO console, IStepReporter? steps = null)
{
    private readonly IStepReporter _steps = steps ?? NoStepReporter.Instance;

    public async Task<int> RunAsync(ConnectOptions options, CancellationToken ct)
    {
        var proxy = options.Proxy;
        if (!proxy && (options.SocksPort is not null || options.HttpPort is not null || options.ProxyUser is not null || options.ProxyAccessLog
                       || options.ProxyShare || options.ProxyAllow.Any()))
            throw new UsageException("--socks-port, --http-port, --proxy-user, --proxy-access-log, --proxy-share and --proxy-allow need --proxy",
                "usage: tunmux " + provider.Name + " connect --proxy [--socks-port N] [--http-port N] [--proxy-user NAME] [--proxy-access-log] [--proxy-share] [--proxy-allow user:NAME,group:NAME]");
        if (!proxy && options.Rootless)
            throw new UsageException("--rootless needs --proxy (direct mode changes the host's routes, which only root may do)",
                "usage: tunmux " + provider.Name + " connect --proxy --rootless");
        if (proxy && (options.KillSwitch || options.NoKillSwitch || options.AllowLan || options.DisableIpv6))
            throw new UsageException("--kill-switch, --no-kill-switch, --allow-lan and --disable-ipv6 are for direct mode; a proxy exit needs none (its namespace has no route but the tunnel)",
                "usage: tunmux " + provider.Name + " connect [--kill-switch [--allow-lan] | --no-kill-switch] [--disable-ipv6]");
        if (options.KillSwitch && options.NoKillSwitch)
            throw new UsageException("--kill-switch and --no-kill-switch contradict each other; give one",
                "usage: tunmux " + provider.Name + " connect [--kill-switch [--allow-lan] | --no-kill-switch]");
        var killSwitch = ConnectSettings.KillSwitch(options, config.General);
        if (options.AllowLan && !killSwitch)
            throw new UsageException("--allow-lan goes with the kill switch: without it nothing is blocked",
                "usage: tunmux " + provider.Name + " connect --kill-switch --allow-lan");
        // Checked before the provider is asked anything: a misspelt name must not leave an exit open to no one or to the wrong account.
        var allow = ConnectSettings.ProxyAllow(options);
        var share = proxy && ConnectSettings.ProxyShare(options, config, provider.Name);
        var proxyUser = options.ProxyUser;
        var proxyPassword = proxyUser is null ? null : ReadProxyPassword();

        // The steps a person waits through; the provider adds its own (its server list, its key) in between.
        _steps.Step(options.Server is { Length: > 0 } named ? $"resolving {named} with {provider.DisplayName}" : $"choosing a server with {provider.DisplayName}");
        var plan = await provider.PrepareConnectAsync(new ConnectRequest
        {
            ServerName = options.Server,
            Country = options.Country,
            ProxyMode = proxy,
            Sort = options.Sort,
            Options = options,
        }, ct);
        foreach (var profile in plan.Alternatives.Select(a => a.Profile).Prepend(plan.Profile))
        {
            SecretMask.Register(profile.PrivateKey);
            foreach (var peer in profile.Peers) SecretMask.Register(peer.PresharedKey);
        }
        if (LogSetup.Verbose) LogSetup.Logger.Debug("profile for {Server}: {Profile}", plan.Server.Name, plan.Profile);

        var general = config.General;
        var backend = ConnectSettings.Backend(options, general);
        var mtu = options.Mtu ?? plan.Profile.Mtu;
        var store = new ConnectionStore(paths);

        using var gate = await store.LockAsync(ct);
        var local = store.List();
        if (!proxy && local.FirstOrDefault(s => s.Instance == InstanceNames.Direct) is { } active)
            throw new InvalidOperationException(
                $"a direct connection is already active ({active.Provider} {active.Server}); disconnect it first with 'tunmux disconnect {InstanceNames.Direct}' or use --proxy");

        // Proxy exits are rootless or the daemon's, and the output says which and why.
        _steps.Step(proxy && (options.Rootless || general.Rootless == "always") ? "preparing a rootless exit" : "reaching the tunmux daemon");
        var choice = proxy ? await RootlessChoice.ChooseAsync(options.Rootless, general, ct) : null;
        await using var daemon = choice is { Rootless: true } ? null : choice?.Daemon ?? await DaemonAccess.ConnectAsync(general, ct);
        // Names and ports in use: the records suffice, checking every instance would cost processes per instance.
        // The user's rootless exits count as well, also ones whose connection state was lost.
        var remote = (daemon is null ? [] : await daemon.TunnelListRecordedAsync(ct)).Concat(RootlessExits.Recorded()).ToList();
        var taken = local.Select(s => s.Instance).Concat(remote.Select(t => t.Instance)).ToHashSet();
        var instance = proxy ? InstanceNames.Unique(InstanceNames.FromServerName(plan.Server.Name), taken) : InstanceNames.Direct;
        if (!proxy && taken.Contains(InstanceNames.Direct))
            throw new InvalidOperationException($"a direct connection is already active on this machine; disconnect it first with 'tunmux disconnect {InstanceNames.Direct}'");

        (int Socks, int Http)? ports = null;
        if (proxy)
        {
            // Ports of this user's instances and of every instance the daemon runs, whoever started it.
            var held = local.SelectMany(l => new[] { l.SocksPort, l.HttpPort })
                .Concat(remote.SelectMany(r => new[] { r.SocksPort, r.HttpPort }));
            ports = new PortAllocator().AssignAvoiding(held,
                options.SocksPort,
                options.HttpPort);
        }

        var up = new TunnelUpArgs
        {
            Instance = instance,
            Provider = provider.Name,
            Mode = proxy ? "proxy" : "direct",
            Backend = backend,
            UserspaceImplementation = general.UserspaceImplementation,
            HandshakeTimeoutMs = general.HandshakeTimeoutMs,
            KillSwitch = killSwitch,
            AllowLan = options.AllowLan,
            DisableIpv6 = options.DisableIpv6,
            Profile = ToDto(plan.Profile, mtu),
            Server = ToDto(plan.Server),
            // The ranked servers the daemon may fail over to, with --mtu applied to each as to the first.
            Alternatives = plan.Alternatives
                .Select(a => new AlternativeDto { Server = ToDto(a.Server), Profile = ToDto(a.Profile, options.Mtu ?? a.Profile.Mtu) })
                .ToList(),
            Supervision = ConnectSettings.Supervision(options, general),
            Hooks = ConnectSettings.Hooks(config, provider.Name),
            Proxy = ports is { } p
                ? new ProxyArgs
                {
                    SocksPort = p.Socks, HttpPort = p.Http, AccessLog = ConnectSettings.AccessLog(options, general),
                    Username = proxyUser, Password = proxyPassword,
                    Share = share, Allow = allow.Count > 0 ? allow : null,
                }
                : null,
        };
        // The daemon answers once the exit is up (interface, routes, DNS, proxy, first handshake): it reports no steps of its own.
        _steps.Step(proxy
            ? $"bringing {instance} up: tunnel to {plan.Server.Name}, proxy, waiting for the handshake"
            : $"bringing the tunnel to {plan.Server.Name} up, waiting for the handshake");
        var info = daemon is null
            ? await RootlessExits.Service(general, new RootlessFirewall(general, console.Error.WriteLine)).UpAsync(up, ct)
            : await daemon.TunnelUpAsync(up, ct);
        if (proxy) _steps.Step($"proxy ready on 127.0.0.1:{info.SocksPort ?? ports?.Socks} (SOCKS5) and 127.0.0.1:{info.HttpPort ?? ports?.Http} (HTTP)");

        var state = new ConnectionState
        {
            Instance = instance,
            Provider = provider.Name,
            Server = plan.Server.Name,
            Country = plan.Server.Country,
            Mode = proxy ? "proxy" : "direct",
            Backend = info.Backend,
            BackendReason = info.BackendReason,
            Interface = info.Interface,
            Namespace = info.Namespace,
            Endpoint = info.Endpoint ?? plan.Profile.Peers.FirstOrDefault()?.Endpoint,
            SocksPort = info.SocksPort ?? ports?.Socks,
            HttpPort = info.HttpPort ?? ports?.Http,
            ProxyPid = info.ProxyPid,
            ProxyShare = share,
            ProxyAllow = allow.Count > 0 ? allow : null,
            ConnectedAt = DateTimeOffset.UtcNow,
            ProviderServer = plan.Server.Name,
            RenewAfter = plan.RenewAfter,
        };
        store.Save(state);
        // The provider renewed what was due for this connect; its other exits share the credential.
        if (plan.RenewAfter is not null) RefreshCommand.Record(store, provider.Name, plan.RenewAfter);

        // The kill switch now blocks: this user's rootless exits that were up before keep their way to their servers.
        if (info.KillSwitch && daemon is not null) await RootlessFirewall.AnnounceRunningAsync(daemon, console.Error.WriteLine, ct);

        if (options.Json)
        {
            console.WriteJson(StatusCommand.EntryJson(state, info));
            foreach (var warning in info.Warnings) console.Error.WriteLine("warning: " + warning);
            return 0;
        }
        if (proxy)
        {
            console.Out.WriteLine($"Connected {instance} ({provider.Name} {plan.Server.Name}, proxy mode, backend {state.Backend})");
            console.Out.WriteLine(choice!.Rootless ? $"  rootless: {choice.Why}" : $"  through the tunmux daemon: {choice.Why}");
            console.Out.WriteLine($"  SOCKS5  127.0.0.1:{state.SocksPort}");
            console.Out.WriteLine($"  HTTP    127.0.0.1:{state.HttpPort}");
            console.Out.WriteLine("  Open to " + StatusCommand.AccessText(state));
        }
        else
        {
            var extras = (info.KillSwitch ? options.AllowLan ? ", kill switch on, LAN allowed" : ", kill switch on" : "")
                         + (options.DisableIpv6 ? ", IPv6 blocked" : "");
            console.Out.WriteLine($"Connected {instance} ({provider.Name} {plan.Server.Name}, direct mode, backend {state.Backend}{extras}); all traffic goes through the tunnel");
        }
        if (info.Health?.ForwardedPort is { } forwarded) console.Out.WriteLine($"  Forwarded port  {forwarded} (TCP and UDP)");
        if (info.Health is { Supervised: false, Reason: { } why }) console.Out.WriteLine($"  Note: {why}");
        // What went wrong without undoing the connect (a failing ifup hook, a port that could not be forwarded).
        foreach (var warning in info.Warnings) console.Error.WriteLine("warning: " + warning);
        return 0;
    }

    /// <summary>The SOCKS5 password: from the environment for scripts, else asked without echo; never from argv.</summary>
    private string ReadProxyPassword()
    {
        var password = Environment.GetEnvironmentVariable("TUNMUX_PROXY_PASSWORD") is { Length: > 0 } env
            ? env
            : console.IsInteractive ? console.PromptSecret("SOCKS5 password for the proxy: ") : null;
        if (string.IsNullOrEmpty(password))
            throw new ProviderException("--proxy-user needs a password: set TUNMUX_PROXY_PASSWORD or run in a terminal to be asked");
        SecretMask.Register(password);
        return password;
    }

    private static ServerDto ToDto(ServerIdentity s) => new() { Name = s.Name, Country = s.Country, City = s.City };

    private static ProfileDto ToDto(WireGuardProfile p, int? mtu) => new()
    {
        PrivateKey = p.PrivateKey,
        Addresses = p.Addresses,
        Dns = p.Dns,
        Mtu = mtu,
        PortForwardGateway = p.PortForwardGateway,
        Peers = p.Peers.Select(x => new PeerDto
        {
            PublicKey = x.PublicKey,
            PresharedKey = x.PresharedKey,
            Endpoint = x.Endpoint,
            AllowedIps = x.AllowedIps,
            PersistentKeepalive = x.PersistentKeepalive,
        }).ToList(),
    };
}

/// <summary>Command-line flags over config.toml over defaults, for connect.</summary>
internal static class ConnectSettings
{
    public static string Backend(ConnectOptions options, GeneralConfig general) => options.Backend ?? general.Backend;

    public static bool AccessLog(ConnectOptions options, GeneralConfig general) => options.ProxyAccessLog || general.ProxyAccessLog;

    /// <summary>The supervisor's settings for this exit: failover unless switched off (--no-failover, config failover = false), and any timers config.toml sets.</summary>
    public static SupervisionArgs Supervision(ConnectOptions options, GeneralConfig general) => new()
    {
        Failover = general.Failover && !options.NoFailover,
        CheckIntervalMs = general.HealthCheckIntervalMs,
        IdleCheckIntervalMs = general.HealthIdleCheckIntervalMs,
        TrafficTimeoutMs = general.HealthTrafficTimeoutMs,
        IdleProbeMs = general.HealthIdleProbeMs,
        RehandshakeTimeoutMs = general.HealthRehandshakeTimeoutMs,
        RetryAfterFailureMs = general.HealthRetryMs,
        PortForwardRenewMs = general.PortForwardRenewMs,
    };

    /// <summary>The provider section's hooks where it has them, else [general]'s: the more specific one wins, key by key.</summary>
    public static HookArgs? Hooks(TunmuxConfig config, string provider)
    {
        var section = config.Section(provider);
        var ifup = section.GetString("ifup") ?? config.General.Ifup;
        var ifdown = section.GetString("ifdown") ?? config.General.Ifdown;
        return ifup is null && ifdown is null ? null : new HookArgs { Ifup = ifup, Ifdown = ifdown, TimeoutMs = config.General.HookTimeoutMs };
    }

    /// <summary>Direct mode only: <c>--kill-switch</c>, else <c>general.kill_switch</c> unless <c>--no-kill-switch</c> turns it off for this connect.</summary>
    public static bool KillSwitch(ConnectOptions options, GeneralConfig general) =>
        !options.Proxy && (options.KillSwitch || (general.KillSwitch && !options.NoKillSwitch));

    /// <summary><c>--proxy-share</c>, else the provider section's <c>proxy_share</c>, else <c>[general]</c>'s.</summary>
    public static bool ProxyShare(ConnectOptions options, TunmuxConfig config, string provider) =>
        options.ProxyShare || (config.Section(provider).GetBool("proxy_share") ?? config.General.ProxyShare);

    /// <summary>
    /// <c>--proxy-allow</c>'s entries, each looked up in the user and group databases the way the daemon will:
    /// an unknown name is one error line before anything starts.
    /// </summary>
    public static IReadOnlyList<string> ProxyAllow(ConnectOptions options)
    {
        var entries = options.ProxyAllow.Select(e => e.Trim()).Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (entries.Count > RequestValidator.MaxAllowEntries)
            throw new ProviderException($"--proxy-allow names {entries.Count} accounts, at most {RequestValidator.MaxAllowEntries} are allowed; name a group instead (group:NAME)");
        foreach (var entry in entries)
            if (ProxyAccessSpec.Lookup(entry).Error is { } error)
                throw new ProviderException($"--proxy-allow: {error}; name an existing account as user:NAME or group:NAME (see 'getent passwd', 'getent group')");
        return entries;
    }
}
