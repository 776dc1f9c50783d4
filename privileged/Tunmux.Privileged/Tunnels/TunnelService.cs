using System.Net;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Proxy.Access;
using Tunmux.Privileged.Tunnels.Steps;
using Tunmux.Privileged.Tunnels.Supervision;

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
    private readonly ExitPlanStore _plans;
    private readonly ExitHooks _hooks;
    private readonly SemaphoreSlim _reserve = new(1, 1);

    public TunnelService(PrivilegedPaths paths, ManagedPids pids, IProxyLauncher proxy, ProcessRunner runner)
    {
        _paths = paths;
        _pids = pids;
        _proxy = proxy;
        _runner = runner;
        _store = new TunnelRecordStore(paths.TunnelsDir);
        _plans = new ExitPlanStore(paths.SupervisionDir);
        _hooks = new ExitHooks(paths);
        _killSwitch = new KillSwitch(paths, _store, () => Commands, runner);
    }

    private readonly KillSwitch _killSwitch;

    /// <summary>The supervisors of this daemon's exits; null until <see cref="SuperviseAsync"/> (never over the stdio transport).</summary>
    public ExitSupervisors? Supervisors { get; private set; }

    /// <summary>Why exits brought up now are not supervised.</summary>
    private const string StdioUnsupervised = "brought up over the stdio transport, where no daemon stays to watch it";

    /// <summary>Programs and system files; tests point them at fakes.</summary>
    internal SystemTools Tools { get; set; } = new();

    /// <summary>The supervisors' clock; tests feed jumps (a resume from suspend) through their own.</summary>
    internal ISupervisorClock SupervisorClock { get; set; } = SystemClock.Instance;

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
        var record = new TunnelStep("record", (c, _) => { c.SaveWithPlan(); return Task.CompletedTask; },
            (c, _) => { c.Forget(); return Task.CompletedTask; });
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

    public async Task<TunnelInfo> UpAsync(TunnelUpArgs args, CallerIdentity caller, CancellationToken cancellationToken)
    {
        TunnelArgsValidator.Validate(args);
        var ownerUid = caller.Uid;
        var warnings = new List<string>();
        args = TunnelArgsValidator.UsableAlternatives(args, warnings);
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
            Server = args.Server,
            Supervised = Supervisors is not null,
            UnsupervisedReason = Supervisors is null ? StdioUnsupervised : null,
        };
        var plan = ExitPlan.From(args, caller);
        var context = NewContext(record, args, choice, plan);
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

        if (args.Profile.PortForwardGateway is { } gateway)
        {
            // Mapped now so connect can print the port; the supervisor renews it (and retries when this failed).
            try
            {
                record.ForwardedPort = await new NatPmpClient(record.Namespace).MapAsync(IPAddress.Parse(gateway), null,
                    SupervisionSettings.From(args.Supervision).PortForwardLifetime, TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (IOException e)
            {
                warnings.Add($"port forwarding: {e.Message}{(Supervisors is null ? "" : "; retrying in the background")}");
            }
        }
        record.Complete = true;
        context.Save();

        if (await _hooks.RunAsync(record, plan, HookEvents.Up, null, CancellationToken.None) is { Succeeded: false } failed)
            warnings.Add(failed + $" (see {_paths.ExitLogFile(record.Instance)}); the exit stays up");
        Supervisors?.Start(record, plan, Commands, _store, _proxy, _paths, _hooks);

        // Every step just succeeded and the handshake was seen: no need to look again.
        return ToInfo(record, context.LatestHandshake, [], warnings);
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
        if (Supervisors is not null) await Supervisors.StopAsync(instance);
        var record = _store.Load(instance) ?? Leftover(instance);
        if (record is null)
        {
            _plans.Delete(instance);
            // A kill switch kept after a failed connect has no record of its own: disconnect is what ends it.
            if (!_killSwitch.HoldsFor(instance)) return false;
            await _killSwitch.ReleaseAsync(instance, cancellationToken);
            return true;
        }

        if (record.Complete && _plans.Load(instance) is { } plan)
        {
            // While the exit still works, so the hook can tell whatever it registered the exit with.
            if (await _hooks.RunAsync(record, plan, HookEvents.Down, null, CancellationToken.None) is { Succeeded: false } failed)
                new ExitLog(_paths.ExitLogFile(instance)).Write(failed + "; taking the exit down anyway");
        }

        var context = NewContext(record, null, null, null);
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
        _store.LoadAll().Select(r => ToInfo(r, null, r.Complete ? [] : [Interrupted], [])).ToList();

    /// <summary>
    /// From now on, supervises every exit brought up, and every supervised exit on record (exits outlive a daemon;
    /// the next one takes them over). Called once by the socket daemon; the lease keeps it running meanwhile.
    /// </summary>
    public Task SuperviseAsync(IDaemonLease lease, Action<string> log, CancellationToken cancellationToken)
    {
        if (Supervisors is not null) return Task.CompletedTask;
        Supervisors = new ExitSupervisors(lease, log, SupervisorClock);
        // Before an exit sends to another server, the firewall (kill switch, lockdown) lets that server through.
        Supervisors.EndpointChanging += (change, ct) => UpdateAllowedEndpointAsync(change.Instance, change.To, ct);
        // Once it sends there, the old server no longer passes (and the tunnel's new addresses and DNS are in the rules).
        Supervisors.EndpointChanged += (change, ct) => _killSwitch.EndpointSettledAsync(change.Instance, ct);
        foreach (var record in _store.LoadAll())
        {
            if (!record.Complete || !record.Supervised) continue;
            if (_plans.Load(record.Instance) is not { } plan)
            {
                log($"{record.Instance} is not supervised: its plan is missing from {_paths.SupervisionDir}; disconnect and connect again");
                continue;
            }
            if (record.Namespace is { } ns && !Tools.NamespaceExists(ns))
            {
                log($"{record.Instance} is not supervised: its namespace {ns} is gone; disconnect to clean up");
                continue;
            }
            Supervisors.Start(record, plan, Commands, _store, _proxy, _paths, _hooks);
        }
        return Task.CompletedTask;
    }

    /// <summary>The interface as <c>wg show</c> prints it (keys hidden), or null when the instance is unknown.</summary>
    public async Task<WgShowResult?> WgShowAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"instance name '{instance}' is not valid");
        if (_store.Load(instance) is not { } r) return null;
        var hide = new Dictionary<string, string> { ["WG_HIDE_KEYS"] = "always" };
        var wgNs = r.DataPlane == "kernel" ? r.Namespace : null;
        var show = wgNs is null
            ? await Commands.RunAsync(Tools.Wg, ["show", r.Interface], null, hide, cancellationToken)
            : await Commands.RunAsync(Tools.Ip, ["netns", "exec", wgNs, Tools.Wg, "show", r.Interface], null, hide, cancellationToken);
        if (!show.Succeeded)
            throw new PrivilegedException(ErrorCodes.Failed, $"wg show {r.Interface} failed: {show.Summary}");
        return new WgShowResult { Instance = instance, Text = show.StandardOutput };
    }

    public async Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"instance name '{instance}' is not valid");
        return _store.Load(instance) is { } record ? await InspectRecordAsync(record, cancellationToken) : null;
    }

    private TunnelContext NewContext(TunnelRecord record, TunnelUpArgs? args, BackendChoice? choice, ExitPlan? plan) => new()
    {
        Record = record,
        Plan = plan,
        Plans = _plans,
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
        if (r.UserspacePid is { } pid && !_pids.IsManaged(pid))
            problems.Add($"{r.DataPlane} (pid {pid}) is not running");
        if (r.ProxyPid is { } proxyPid && !ProcessControl.IsRunning(proxyPid))
            problems.Add($"proxy (pid {proxyPid}) is not running");

        if (Supervisors?.Health(r.Instance, out var seen) is { } health)
        {
            // The supervisor read the interface within its last check: no process needed, at any number of exits.
            if (health.State == ExitStates.Name(ExitState.Failed)) problems.Add(health.Reason ?? "failed");
            return ToInfo(r, seen, WithKillSwitchNote(r, problems), [], health);
        }

        var linkPresent = linkNs is not null || r.Namespace is null
            ? (await Commands.IpTryAsync(linkNs, ["link", "show", "dev", r.Interface], ct)).Succeeded
            : false;
        if (!linkPresent) problems.Add($"interface {r.Interface} is gone");
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

        return ToInfo(r, handshake, WithKillSwitchNote(r, problems), []);
    }

    /// <summary>
    /// A direct exit with any problem under the kill switch blocks the whole machine: say so, and how to end
    /// it, after every problem is known (a dead interface is found last).
    /// </summary>
    private List<string> WithKillSwitchNote(TunnelRecord r, List<string> problems)
    {
        if (problems.Count > 0 && r.Mode == TunnelModes.Direct && _killSwitch.IsActive)
            problems.Add("the firewall blocks all traffic outside the tunnel while it is down (fail closed): " +
                         $"connect again, or disconnect {r.Instance} to remove it");
        return problems;
    }

    private TunnelInfo ToInfo(TunnelRecord r, DateTimeOffset? handshake, List<string> problems, List<string> warnings, HealthDto? health = null) => new()
    {
        Server = r.Server,
        Warnings = warnings,
        Health = (health ?? Supervisors?.Health(r.Instance, out _) ?? Unwatched(r, problems)) with { Log = _paths.ExitLogFile(r.Instance) },
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

    /// <summary>Health of an exit no supervisor of this daemon watches: from the record and what inspection found.</summary>
    private HealthDto Unwatched(TunnelRecord r, List<string> problems) => new()
    {
        State = problems.Count > 0 ? ExitStates.Stale : ExitStates.Name(ExitState.Up),
        Reason = problems.Count > 0 ? string.Join("; ", problems)
            : !r.Supervised ? "not supervised: " + (r.UnsupervisedReason ?? "no supervisor")
            : Supervisors is null ? "not supervised: no daemon is watching it now" : "not supervised",
        Supervised = false,
        Failovers = r.Failovers,
        ForwardedPort = r.ForwardedPort,
    };

    public Task<FirewallStatus> FirewallStatusAsync(CancellationToken cancellationToken) => Task.FromResult(_killSwitch.Status());

    public Task<FirewallStatus> SetLockdownAsync(LockdownArgs args, uint? byUid, CancellationToken cancellationToken) =>
        _killSwitch.SetLockdownAsync(args.Enabled, args.AllowLan, byUid, cancellationToken);

    public Task AllowApiAsync(long connectionId, uint uid, IReadOnlyList<string> endpoints, CancellationToken cancellationToken) =>
        _killSwitch.AllowApiAsync(connectionId, uid, endpoints, cancellationToken);

    public Task ReleaseApiAsync(long connectionId) => _killSwitch.ReleaseApiAsync(connectionId);

    public Task RootlessExitAsync(uint uid, string instance, string? endpoint, CancellationToken cancellationToken) =>
        _killSwitch.SetRootlessExitAsync(uid, instance, endpoint, cancellationToken);

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
