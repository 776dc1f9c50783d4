using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Proxy.Access;
using Tunmux.Privileged.Tunnels.Steps;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// Brings tunnels up as an explicit list of reversible steps: each completed step is undone, in
/// reverse, when a later one fails, and <c>down</c> runs every undo from the instance's record
/// (so it also cleans after a crash, a daemon restart or a half-finished <c>up</c>).
/// </summary>
public sealed class TunnelService : ITunnelService
{
    private readonly PrivilegedPaths _paths;
    private readonly ManagedPids _pids;
    private readonly IProxyLauncher _proxy;
    private readonly ProcessRunner _runner;
    private readonly TunnelRecordStore _store;
    private readonly SemaphoreSlim _reserve = new(1, 1);

    public TunnelService(PrivilegedPaths paths, ManagedPids pids, IProxyLauncher proxy, ProcessRunner runner)
    {
        _paths = paths;
        _pids = pids;
        _proxy = proxy;
        _runner = runner;
        _store = new TunnelRecordStore(paths.TunnelsDir);
        _killSwitch = new KillSwitch(paths, _store, () => Commands, runner);
    }

    private readonly KillSwitch _killSwitch;

    /// <summary>Programs and system files; tests point them at fakes.</summary>
    internal SystemTools Tools { get; set; } = new();

    /// <summary>Test hook: fail just before the step with this index, to prove the rollback of every earlier one.</summary>
    internal int? FailBeforeStep { get; set; }

    /// <summary>Test hook: the process ends just before the step with this index, as a crash would leave things (no rollback).</summary>
    internal int? CrashBeforeStep { get; set; }

    private SystemCommands Commands => new(_runner, Tools);

    /// <summary>The step names <see cref="UpAsync"/> would run for these arguments, in order.</summary>
    internal IReadOnlyList<string> StepNames(TunnelUpArgs args)
    {
        var choice = BackendChoice.Choose(args, Tools);
        return Plan(args.Mode, choice.UsesWgQuick).Select(s => s.Name).ToList();
    }

    private static IReadOnlyList<TunnelStep> Plan(string mode, bool usesWgQuick)
    {
        var record = new TunnelStep("record", (c, _) => { c.Save(); return Task.CompletedTask; },
            (c, _) => { c.Store.Delete(c.Record.Instance); return Task.CompletedTask; });
        // The firewall comes right after the record, before any link or route exists (see FirewallSteps).
        var firewall = FirewallSteps.Allow();
        if (mode == TunnelModes.Proxy)
            return
            [
                record,
                firewall,
                NamespaceSteps.Create(),
                InterfaceSteps.CreateLink(),
                InterfaceSteps.Configure(),
                NamespaceSteps.MoveLink(),
                InterfaceSteps.Addresses(inNamespace: true),
                NamespaceSteps.Routes(),
                NamespaceSteps.Dns(),
                // The proxy needs only the namespace and its DNS; starting it (a process start-up) before
                // waiting for the handshake lets the two overlap. Success still waits for the handshake,
                // and a handshake that never comes stops the proxy again on rollback.
                NamespaceSteps.Proxy(),
                InterfaceSteps.Handshake(inNamespace: true),
            ];
        if (usesWgQuick)
            return
            [
                record, firewall, WgQuickSteps.Config(), WgQuickSteps.Up(), DirectRoutingSteps.Block(),
                DirectDnsSteps.Dns(), InterfaceSteps.Handshake(inNamespace: false),
            ];
        return
        [
            record,
            firewall,
            InterfaceSteps.CreateLink(),
            InterfaceSteps.Configure(),
            InterfaceSteps.Addresses(inNamespace: false),
            DirectRoutingSteps.Routes(),
            DirectRoutingSteps.Block(),
            DirectDnsSteps.Dns(),
            InterfaceSteps.Handshake(inNamespace: false),
        ];
    }

    public async Task<TunnelInfo> UpAsync(TunnelUpArgs args, uint ownerUid, CancellationToken cancellationToken)
    {
        TunnelArgsValidator.Validate(args);
        // Names in --proxy-allow are looked up before anything is touched: an unknown one is a plain error.
        var access = args.Proxy is { } proxy ? ProxyAccessSpec.Resolve(ownerUid, proxy.Share, proxy.Allow) : null;
        var choice = BackendChoice.Choose(args, Tools);
        var peer = args.Profile.Peers[0];
        // The firewall lets exactly one address through to the server, so the name is resolved once, here, for both.
        var endpoint = await EndpointAddress.ResolveAsync(peer.Endpoint, cancellationToken);
        var record = new TunnelRecord
        {
            Instance = args.Instance,
            OwnerUid = ownerUid,
            Provider = args.Provider,
            Mode = args.Mode,
            Backend = choice.Backend,
            BackendReason = choice.Reason,
            Interface = InstanceNames.Interface(args.Instance),
            Namespace = args.Mode == TunnelModes.Proxy ? InstanceNames.Namespace(args.Instance) : null,
            PeerPublicKey = peer.PublicKey,
            Endpoint = endpoint,
            PersistentKeepalive = peer.PersistentKeepalive,
            Addresses = args.Profile.Addresses,
            AllowedIps = peer.AllowedIps,
            Dns = args.Profile.Dns,
            Mtu = args.Profile.Mtu ?? TunnelArgsValidator.DefaultMtu,
            UserspaceImplementation = choice.Backend == "userspace" ? choice.Userspace?.Name : null,
            ProxyShare = access?.Share ?? false,
            ProxyAllowUids = access?.Uids ?? [],
            ProxyAllowGids = access?.Gids ?? [],
            KillSwitch = args.KillSwitch,
            AllowLan = args.AllowLan,
            DisableIpv6 = args.DisableIpv6,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var context = NewContext(record, args, choice);
        var steps = Plan(args.Mode, choice.UsesWgQuick);

        await _reserve.WaitAsync(cancellationToken);
        try
        {
            if (_store.Load(args.Instance) is not null)
                throw new PrivilegedException(ErrorCodes.Conflict, $"instance {args.Instance} is already up; disconnect it first");
            var recorded = _store.LoadAll();
            if (args.Mode == TunnelModes.Direct && recorded.FirstOrDefault(r => r.Mode == TunnelModes.Direct) is { } active)
                throw new PrivilegedException(ErrorCodes.Conflict,
                    $"direct mode is already active as instance {active.Instance}; disconnect it first (direct mode is one at a time)");
            RefuseCollisions(record, recorded);
            // The record step runs inside the reservation, so two ups of one name cannot both pass the check.
            await steps[0].Do(context, cancellationToken);
        }
        finally
        {
            _reserve.Release();
        }

        try
        {
            await StepSequence.RunAsync(steps, 1, context, FailBeforeStep, cancellationToken, CrashBeforeStep);
        }
        catch (StepFailedException e)
        {
            var message = e.InnerException is PrivilegedException pe ? pe.Message : e.Message;
            var kept = _killSwitch.HoldsFor(args.Instance)
                ? "; everything was rolled back except the kill switch, which keeps blocking all traffic outside a tunnel " +
                  "(you asked not to leak): connect again, or remove it with 'tunmux disconnect'"
                : "; everything was rolled back";
            throw new PrivilegedException(ErrorCodes.Failed, $"bringing up {args.Instance} failed at step {e.Step}: {message}{kept}");
        }

        record.Complete = true;
        context.Save();
        // Every step just succeeded and the handshake was seen: no need to look again.
        return ToInfo(record, context.LatestHandshake, []);
    }

    /// <summary>
    /// The daemon itself makes sure an instance gets an interface, namespace and WireGuard control socket
    /// of its own: none may belong to a recorded instance or exist already (another program's, or a
    /// leftover), whatever a client computed. Otherwise one user could reconfigure another's tunnel.
    /// </summary>
    private void RefuseCollisions(TunnelRecord record, IReadOnlyList<TunnelRecord> recorded)
    {
        if (recorded.FirstOrDefault(r => r.Interface == record.Interface || (record.Namespace is not null && r.Namespace == record.Namespace)) is { } owner)
            throw Collision($"its interface or namespace belongs to instance {owner.Instance}");
        if (record.Namespace is { } ns && Tools.NamespaceExists(ns))
            throw Collision($"network namespace {ns} already exists");
        var uapi = Path.Combine(Tools.WireGuardRunDir, record.Interface + ".sock");
        if (File.Exists(uapi))
            throw Collision($"the WireGuard control socket {uapi} already exists");
        if (Tools.InterfaceExists(record.Interface))
            throw Collision($"a network interface named {record.Interface} already exists");

        PrivilegedException Collision(string why) => new(ErrorCodes.Conflict,
            $"instance {record.Instance} cannot be brought up: {why}; choose another instance name or disconnect what holds it");
    }

    public async Task<bool> DownAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"instance name '{instance}' is not valid");
        var record = _store.Load(instance) ?? Leftover(instance);
        if (record is null)
        {
            // A kill switch kept after a failed connect has no record of its own: disconnect is what ends it.
            if (!_killSwitch.HoldsFor(instance)) return false;
            await _killSwitch.ReleaseAsync(instance, cancellationToken);
            return true;
        }

        var context = NewContext(record, null, null);
        // The same plan as up chose: wg-quick in direct mode for those backends (a crash may have come before the config was written).
        var usedWgQuick = record.ConfigPath is not null
                          || (record.Mode == TunnelModes.Direct && record.Backend is "wg-quick" or "userspace");
        var steps = Plan(record.Mode, usedWgQuick);
        await StepSequence.UndoAsync(context, steps.Reverse());

        var left = new List<string>();
        if (record.Namespace is { } ns && Tools.NamespaceExists(ns)) left.Add($"namespace {ns}");
        if (record.ConfigPath is { } conf && File.Exists(conf)) left.Add(conf);
        if (left.Count > 0)
            throw new PrivilegedException(ErrorCodes.Failed,
                $"taking down {instance} left {string.Join(", ", left)} behind; run disconnect again or remove them by hand");
        return true;
    }

    public async Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<TunnelInfo>();
        foreach (var record in _store.LoadAll())
            list.Add(await InspectRecordAsync(record, cancellationToken));
        return list;
    }

    public IReadOnlyList<TunnelInfo> ListRecorded() =>
        _store.LoadAll().Select(r => ToInfo(r, null, r.Complete ? [] : [Interrupted])).ToList();

    public async Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"instance name '{instance}' is not valid");
        return _store.Load(instance) is { } record ? await InspectRecordAsync(record, cancellationToken) : null;
    }

    private TunnelContext NewContext(TunnelRecord record, TunnelUpArgs? args, BackendChoice? choice) => new()
    {
        Record = record,
        Commands = Commands,
        Store = _store,
        Paths = _paths,
        Pids = _pids,
        ProxyLauncher = _proxy,
        KillSwitch = _killSwitch,
        PrivateKey = args?.Profile.PrivateKey,
        PresharedKey = args?.Profile.Peers[0].PresharedKey,
        Proxy = args?.Proxy,
        HandshakeTimeout = TimeSpan.FromMilliseconds(args?.HandshakeTimeoutMs ?? 8000),
        KernelAllowed = choice?.KernelAllowed ?? true,
        Userspace = choice?.Userspace,
    };

    /// <summary>A proxy namespace with no record (a crash before the record was written, or a lost state folder).</summary>
    private TunnelRecord? Leftover(string instance)
    {
        var ns = InstanceNames.Namespace(instance);
        if (!Tools.NamespaceExists(ns) && !Directory.Exists(Path.Combine(Tools.NetnsEtcDir, ns))) return null;
        return new TunnelRecord
        {
            Instance = instance,
            Provider = "unknown",
            Mode = TunnelModes.Proxy,
            Backend = "unknown",
            Interface = InstanceNames.Interface(instance),
            Namespace = ns,
            PeerPublicKey = "",
            Endpoint = "",
            DataPlane = "unknown",
        };
    }

    private const string Interrupted = "bringing it up did not finish (interrupted); disconnect to clean up";

    private async Task<TunnelInfo> InspectRecordAsync(TunnelRecord r, CancellationToken ct)
    {
        var problems = new List<string>();
        if (!r.Complete) problems.Add(Interrupted);
        var linkNs = r.Namespace;
        if (r.Namespace is { } ns && !Tools.NamespaceExists(ns))
        {
            problems.Add($"namespace {ns} is gone");
            linkNs = null;
        }
        var linkPresent = linkNs is not null || r.Namespace is null
            ? (await Commands.IpTryAsync(linkNs, ["link", "show", "dev", r.Interface], ct)).Succeeded
            : false;
        if (!linkPresent) problems.Add($"interface {r.Interface} is gone");
        if (r.UserspacePid is { } pid && !_pids.IsManaged(pid))
            problems.Add($"{r.DataPlane} (pid {pid}) is not running");
        if (r.ProxyPid is { } proxyPid && !ProcessControl.IsRunning(proxyPid))
            problems.Add($"proxy (pid {proxyPid}) is not running");
        if (problems.Count > 0 && r.Mode == TunnelModes.Direct && _killSwitch.IsActive)
            problems.Add("the firewall blocks all traffic outside the tunnel while it is down (fail closed): " +
                         $"connect again, or disconnect {r.Instance} to remove it");

        DateTimeOffset? handshake = null;
        if (linkPresent)
        {
            var wgNs = r.DataPlane == "kernel" ? r.Namespace : null;
            var show = wgNs is null
                ? await _runner.RunAsync(Tools.Wg, ["show", r.Interface, "latest-handshakes"], cancellationToken: ct)
                : await _runner.RunAsync(Tools.Ip, ["netns", "exec", wgNs, Tools.Wg, "show", r.Interface, "latest-handshakes"], cancellationToken: ct);
            if (show.Succeeded) handshake = InterfaceSteps.ParseLatestHandshake(show.StandardOutput);
            else problems.Add($"wg show {r.Interface} failed: {show.Summary}");
        }

        return ToInfo(r, handshake, problems);
    }

    private static TunnelInfo ToInfo(TunnelRecord r, DateTimeOffset? handshake, List<string> problems) => new()
    {
        Instance = r.Instance,
        Provider = r.Provider,
        Mode = r.Mode,
        Backend = r.Backend,
        BackendReason = r.BackendReason,
        Interface = r.Interface,
        Namespace = r.Namespace,
        Endpoint = r.Endpoint,
        ProxyPid = r.ProxyPid,
        UserspacePid = r.UserspacePid,
        OwnerUid = r.OwnerUid,
        SocksPort = r.SocksPort,
        HttpPort = r.HttpPort,
        LatestHandshake = handshake,
        Alive = problems.Count == 0,
        KillSwitch = r.KillSwitch,
        Problems = problems,
    };

    public Task<FirewallStatus> FirewallStatusAsync(CancellationToken cancellationToken) => Task.FromResult(_killSwitch.Status());

    public Task<FirewallStatus> SetLockdownAsync(LockdownArgs args, uint? byUid, CancellationToken cancellationToken) =>
        _killSwitch.SetLockdownAsync(args.Enabled, args.AllowLan, byUid, cancellationToken);

    public Task AllowApiAsync(long connectionId, uint uid, IReadOnlyList<string> endpoints, CancellationToken cancellationToken) =>
        _killSwitch.AllowApiAsync(connectionId, uid, endpoints, cancellationToken);

    public Task ReleaseApiAsync(long connectionId) => _killSwitch.ReleaseApiAsync(connectionId);

    public Task RestoreFirewallAsync(CancellationToken cancellationToken) => _killSwitch.RestoreAsync(cancellationToken);

    /// <summary>
    /// An exit is about to talk to another server (failover, or its name resolving elsewhere): while a kill switch or
    /// lockdown is on, its encrypted traffic to <paramref name="endpoint"/> (an address) is let through before the
    /// interface switches. The seam for the exits' supervisors.
    /// </summary>
    public Task UpdateAllowedEndpointAsync(string instance, string endpoint, CancellationToken cancellationToken) =>
        EndpointAddress.TryParse(endpoint, out _, out _)
            ? _killSwitch.AllowEndpointAsync(instance, endpoint, cancellationToken)
            : throw new PrivilegedException(ErrorCodes.InvalidArgument, $"endpoint {RequestValidator.Preview(endpoint)} is not address:port");
}
