using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Tunnels.Steps;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// Rootless exits: no daemon, no sudo. The user's own process tree holds a user+network+mount namespace,
/// wireguard-go inside it, a user-mode link out (pasta or slirp4netns) and the same native proxy as the
/// daemon's exits. The tunnel steps are the daemon's (<see cref="InterfaceSteps"/>, <see cref="NamespaceSteps"/>)
/// run through <see cref="NamespaceRunner"/>, plus the few in <see cref="RootlessSteps"/>, as one transaction:
/// a failure undoes everything, and <see cref="DownAsync"/> undoes every step from the record (also after a crash).
/// </summary>
/// <remarks>The caller makes sure the user's runtime folder is private to the user (in /tmp another user could plant it).</remarks>
public sealed class RootlessTunnelService
{
    private readonly RootlessPaths _paths;
    private readonly ProcessRunner _runner;
    private readonly TunnelRecordStore _store;
    private readonly ManagedPids _pids;

    public RootlessTunnelService(RootlessPaths paths, ProcessRunner? runner = null)
    {
        _paths = paths;
        _runner = runner ?? new ProcessRunner();
        _store = new TunnelRecordStore(paths.Shared.TunnelsDir);
        _pids = new ManagedPids(paths.Shared.ManagedPidsDir);
    }

    /// <summary>How programs are found (tests point it at fakes).</summary>
    public Func<string, string?> Which { get; init; } = new SystemTools().Which;

    /// <summary><c>pasta</c>, <c>slirp4netns</c>, or null for pasta when installed, else slirp4netns.</summary>
    public string? PreferredOutsideLink { get; init; }

    /// <summary>Lets the exit's encrypted traffic through tunmux's firewall while one blocks; null: nothing to tell.</summary>
    public IRootlessFirewall? Firewall { get; init; }

    /// <summary>How long the namespaces and the outside link have to come up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Test hooks: a /run of the exit's own even where /run/wireguard exists; a failure before step N.</summary>
    internal bool ForcePrivateRun { get; init; }
    internal int? FailBeforeStep { get; set; }

    public RootlessPaths Paths => _paths;

    /// <summary>The step names of a rootless exit, in order.</summary>
    public static IReadOnlyList<string> StepNames() =>
        Plan(new RootlessSetup { Tools = null!, Paths = null! }).Select(s => s.Name).ToList();

    private static IReadOnlyList<TunnelStep> Plan(RootlessSetup s) =>
    [
        new("record", (c, _) => { c.Save(); return Task.CompletedTask; }, (c, _) => { ForgetRecord(c); return Task.CompletedTask; }),
        RootlessSteps.Namespace(s),
        InterfaceSteps.CreateLink(),
        InterfaceSteps.Configure(),
        InterfaceSteps.Addresses(inNamespace: true),
        // The outside link configured itself meanwhile; only now its routes give way to the endpoint's.
        RootlessSteps.OutsideRoute(s),
        NamespaceSteps.Routes(),
        NamespaceSteps.Proxy(),
        InterfaceSteps.Handshake(inNamespace: true),
    ];

    public async Task<TunnelInfo> UpAsync(TunnelUpArgs args, CancellationToken cancellationToken)
    {
        TunnelArgsValidator.Validate(args);
        if (args.Mode != TunnelModes.Proxy || args.Proxy is null)
            throw new PrivilegedException(ErrorCodes.InvalidArgument,
                "rootless exits are proxy-mode exits with proxy ports; direct mode changes the host's own routes, which needs root");
        var tools = RootlessTools.Find(Which, PreferredOutsideLink);
        SecureFiles.PrivateDirectory(_paths.Root);
        var peer = args.Profile.Peers[0];
        var endpoint = await RootlessSteps.ResolveEndpointAsync(peer.Endpoint, cancellationToken);

        var record = new TunnelRecord
        {
            Instance = args.Instance,
            Provider = args.Provider,
            Mode = TunnelModes.Proxy,
            Backend = "rootless",
            BackendReason = $"rootless: the user's own namespaces, wireguard-go and {tools.OutsideLink}, no daemon",
            Interface = InstanceNames.Interface(args.Instance),
            Namespace = null,
            PeerPublicKey = peer.PublicKey,
            Endpoint = endpoint,
            PersistentKeepalive = peer.PersistentKeepalive,
            Addresses = args.Profile.Addresses,
            AllowedIps = peer.AllowedIps,
            Dns = args.Profile.Dns,
            Mtu = args.Profile.Mtu ?? TunnelArgsValidator.DefaultMtu,
            UserspaceImplementation = "wireguard-go",
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var setup = new RootlessSetup { Tools = tools, Paths = _paths, StartTimeout = StartTimeout, ForcePrivateRun = ForcePrivateRun };
        var context = NewContext(record, args, tools);
        var steps = Plan(setup);

        if (_store.Load(args.Instance) is not null)
            throw new PrivilegedException(ErrorCodes.Conflict, $"instance {args.Instance} is already up; disconnect it first");
        // The firewall first: the handshake at the end must already pass.
        if (Firewall is not null) await Firewall.AllowAsync(args.Instance, endpoint, cancellationToken);
        try
        {
            await steps[0].Do(context, cancellationToken);
            try
            {
                await StepSequence.RunAsync(steps, 1, context, FailBeforeStep, cancellationToken);
            }
            catch (StepFailedException e)
            {
                RemoveEmptyState();
                var message = e.InnerException is PrivilegedException pe ? pe.Message : e.Message;
                throw new PrivilegedException(ErrorCodes.Failed,
                    $"bringing up rootless exit {args.Instance} failed at step {e.Step}: {message}; everything was rolled back");
            }
        }
        catch when (Firewall is not null)
        {
            await Firewall.ReleaseAsync(args.Instance, CancellationToken.None);
            throw;
        }
        record.Complete = true;
        context.Save();
        return ToInfo(record, context.LatestHandshake, []);
    }

    /// <summary>Takes the exit down from its record, whatever state it is in; false when there was none.</summary>
    public async Task<bool> DownAsync(string instance, CancellationToken cancellationToken)
    {
        if (!InstanceNames.IsValidInstance(instance))
            throw new PrivilegedException(ErrorCodes.InvalidArgument, $"instance name '{instance}' is not valid");
        if (_store.Load(instance) is not { } record) return false;

        var tools = RootlessTools.Lenient(Which);
        var context = NewContext(record, null, tools);
        await StepSequence.UndoAsync(context, Plan(new RootlessSetup { Tools = tools, Paths = _paths }).Reverse());
        RemoveEmptyState();
        if (Firewall is not null) await Firewall.ReleaseAsync(instance, cancellationToken);

        var left = new List<string>();
        if (record.NetnsId is { } netns && NamespaceProcesses.InNamespace(netns).Count is > 0 and var n) left.Add($"{n} process(es) in its namespace");
        if (record.OutsidePid is { } o && Alive(o)) left.Add($"{record.OutsideLink} (pid {o})");
        if (Directory.Exists(_paths.ExitDir(instance))) left.Add(_paths.ExitDir(instance));
        if (left.Count > 0)
            throw new PrivilegedException(ErrorCodes.Failed,
                $"taking down rootless exit {instance} left {string.Join(", ", left)} behind; run disconnect again");
        return true;
    }

    /// <summary>The recorded exits, without looking at them (names and ports in use).</summary>
    public IReadOnlyList<TunnelInfo> ListRecorded() =>
        _store.LoadAll().Select(r => ToInfo(r, null, Problems(r))).ToList();

    /// <summary>What is wrong with a recorded exit, from /proc alone (no process started): empty when it is up.</summary>
    public IReadOnlyList<string> Problems(string instance) =>
        _store.Load(instance) is { } r ? Problems(r) : ["no rootless record (state lost?)"];

    private List<string> Problems(TunnelRecord r)
    {
        var problems = new List<string>();
        if (!r.Complete) problems.Add("bringing it up did not finish (interrupted)");
        if (!Alive(r.HolderPid)) problems.Add("namespace gone");
        if (!Alive(r.OutsidePid)) problems.Add($"{r.OutsideLink ?? "outside link"} not running");
        if (!Alive(r.UserspacePid)) problems.Add("wireguard-go not running");
        if (!Alive(r.ProxyPid)) problems.Add("proxy not running");
        return problems;
    }

    /// <summary>Started by the exit, still that same process, and not a zombie waiting for init to reap it.</summary>
    private bool Alive(int? pid) => pid is { } p && _pids.IsManaged(p) && ProcessControl.IsRunning(p);

    /// <summary>
    /// The command that runs <paramref name="command"/> inside the exit as the calling user: nsenter joins the
    /// holder's namespaces (the working folder is looked up again inside), then a nested user namespace maps the
    /// user's own uid and gid back, so the program is the user again and holds no capability over the exit.
    /// </summary>
    public (string File, IReadOnlyList<string> Argv) ExecCommand(string instance, IReadOnlyList<string> command, string workingDirectory, uint uid, uint gid)
    {
        var record = _store.Load(instance)
                     ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no rootless exit named '{instance}'");
        if (record.HolderPid is not { } holder || !Alive(holder))
            throw new PrivilegedException(ErrorCodes.Failed, $"rootless exit {instance} is not running (its namespaces are gone); clean it up with 'tunmux disconnect {instance}'");
        var tools = RootlessTools.Lenient(Which);
        var enter = NamespaceRunner.EnterArgs(holder);
        return (tools.Nsenter,
        [
            // One argument: util-linux 2.38 takes "--wdns DIR" as a flag without value followed by the program.
            tools.Nsenter, .. enter.Take(enter.Count - 1), "--wdns=" + workingDirectory, "--",
            tools.Unshare, "--user", $"--map-user={uid}", $"--map-group={gid}", "--", .. command,
        ]);
    }

    private TunnelContext NewContext(TunnelRecord record, TunnelUpArgs? args, RootlessTools tools)
    {
        int? Holder() => Alive(record.HolderPid) ? record.HolderPid : null;
        var commands = new SystemCommands(new NamespaceRunner(_runner, tools.Nsenter, Holder), new SystemTools());
        return new TunnelContext
        {
            Record = record,
            Commands = commands,
            Store = _store,
            Paths = _paths.Shared,
            Pids = _pids,
            ProxyLauncher = new ProxyLauncher(_paths.Shared, _pids, _runner) { Entry = new RootlessProxyEntry(tools, Holder) },
            // No firewall is a user's to change: the kill switch belongs to direct mode's steps, never run here.
            KillSwitch = new KillSwitch(_paths.Shared, _store, () => commands, _runner),
            PrivateKey = args?.Profile.PrivateKey,
            PresharedKey = args?.Profile.Peers[0].PresharedKey,
            Proxy = args?.Proxy,
            HandshakeTimeout = TimeSpan.FromMilliseconds(args?.HandshakeTimeoutMs ?? 8000),
            KernelAllowed = false,
            Userspace = ("wireguard-go", tools.WireGuardGo),
            WireGuardSocketDir = _paths.UapiDir(record.Instance),
            UserspaceNamespaceOf = record.HolderPid,
        };
    }

    /// <summary>The record, and the proxy's files the launcher leaves (a rootless exit leaves no file behind).</summary>
    private static void ForgetRecord(TunnelContext c)
    {
        c.Store.Delete(c.Record.Instance);
        File.Delete(c.Paths.ProxyLogFile(c.Record.Instance));
        File.Delete(c.Paths.ProxyPidFile(c.Record.Instance));
    }

    /// <summary>With no exit left, the whole rootless folder goes (only empty folders and stale PID records remain then).</summary>
    private void RemoveEmptyState()
    {
        if (_store.LoadAll().Count > 0 || !Directory.Exists(_paths.Root)) return;
        try { Directory.Delete(_paths.Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static TunnelInfo ToInfo(TunnelRecord r, DateTimeOffset? handshake, IReadOnlyList<string> problems) => new()
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
        SocksPort = r.SocksPort,
        HttpPort = r.HttpPort,
        LatestHandshake = handshake,
        Alive = problems.Count == 0,
        Problems = problems,
    };
}
