using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Privileged.Firewall;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The policy side of fail-closed direct mode: decides, from the lockdown and kill-switch state and the tunnel
/// records, what tunmux's firewall table must let through, and keeps the table in step (installed while a kill
/// switch or lockdown is on, absent otherwise). The table itself is <see cref="NftTable"/>'s business.
/// State lives in a root-only file, so a later daemon (after an idle stop, a crash or a reboot) knows it.
/// </summary>
internal sealed class KillSwitch(PrivilegedPaths paths, TunnelRecordStore records, Func<SystemCommands> commands, ProcessRunner runner)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<long, IReadOnlyList<ApiAccess>> _api = [];

    /// <summary>An exit's next endpoint, announced before its interface switches to it (failover); until it goes down.</summary>
    private readonly Dictionary<string, string> _next = new(StringComparer.Ordinal);

    /// <summary>Lockdown or a kill switch is on: the table must be in place.</summary>
    public bool IsActive => Load().IsActive;

    /// <summary>The kill switch holds for <paramref name="instance"/>.</summary>
    public bool HoldsFor(string instance) => Load().KillSwitch?.Instance == instance;

    public FirewallStatus Status() => ToStatus(Load());

    /// <summary>Turns the kill switch on for a direct instance being brought up, before anything else changes.</summary>
    public async Task HoldForDirectAsync(TunnelRecord r, CancellationToken ct)
    {
        RequireNft();
        await _gate.WaitAsync(ct);
        try
        {
            var s = Load();
            s.KillSwitch = new KillSwitchHold { Instance = r.Instance, AllowLan = r.AllowLan, Since = DateTimeOffset.UtcNow };
            if (r.AllowLan) s.LanSubnets = [.. await ReadLanAsync(ct)];
            // Saved first: from here on a crash still leaves a state that says these rules are ours.
            Save(s);
            await ApplyLockedAsync(s, exclude: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Brings the table in line with the records, leaving out <paramref name="exclude"/> (an instance going away, whose
    /// endpoint and tunnel no longer pass). Does nothing, and runs nothing, while neither lockdown nor a kill switch is on.
    /// </summary>
    public async Task RefreshAsync(string? exclude, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await ApplyLockedAsync(Load(), exclude, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ends the kill switch of <paramref name="instance"/> (disconnect); the table goes unless lockdown keeps it.</summary>
    public async Task ReleaseAsync(string instance, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var s = Load();
            if (s.KillSwitch?.Instance == instance) s.KillSwitch = null;
            // Saved after: if removing the table fails, the state still says it is ours and a retry removes it.
            await ApplyLockedAsync(s, exclude: instance, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<FirewallStatus> SetLockdownAsync(bool enabled, bool allowLan, uint? byUid, CancellationToken ct)
    {
        if (enabled) RequireNft();
        await _gate.WaitAsync(ct);
        try
        {
            var s = Load();
            if (enabled)
            {
                s.Lockdown = new LockdownHold { AllowLan = allowLan, Since = DateTimeOffset.UtcNow, ByUid = byUid };
                if (allowLan) s.LanSubnets = [.. await ReadLanAsync(ct)];
                Save(s);
            }
            else
            {
                s.Lockdown = null;
            }
            await ApplyLockedAsync(s, exclude: null, ct);
            return ToStatus(s);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// While the table is in place, lets user <paramref name="uid"/> open TCP connections to these API endpoints until
    /// <see cref="ReleaseApiAsync"/> (the client connection that asked closes). Nothing to do when no table is in place.
    /// </summary>
    public async Task AllowApiAsync(long connectionId, uint uid, IReadOnlyList<string> endpoints, CancellationToken ct)
    {
        var access = new List<ApiAccess>();
        foreach (var e in endpoints)
            if (EndpointAddress.TryParse(e, out var address, out var port)) access.Add(new ApiAccess(uid, address, port));
        await _gate.WaitAsync(ct);
        try
        {
            var s = Load();
            if (!s.IsActive) return;
            _api[connectionId] = access;
            await ApplyLockedAsync(s, exclude: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ReleaseApiAsync(long connectionId)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_api.Remove(connectionId)) return;
            await ApplyLockedAsync(Load(), exclude: null, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Lets an exit's encrypted traffic to <paramref name="endpoint"/> (an address) through as well, before its interface
    /// is pointed there: the rules follow a failover. The record's endpoint stays allowed too, so there is no gap.
    /// </summary>
    public async Task AllowEndpointAsync(string instance, string endpoint, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _next[instance] = endpoint;
            var s = Load();
            if (s.IsActive) await ApplyLockedAsync(s, exclude: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// An exit's interface now sends to its new endpoint, which its record names: the endpoint it left stops passing,
    /// and the rules take the tunnel's new addresses and DNS servers.
    /// </summary>
    public async Task EndpointSettledAsync(string instance, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _next.Remove(instance);
            var s = Load();
            if (s.IsActive) await ApplyLockedAsync(s, exclude: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// User <paramref name="uid"/>'s rootless exit <paramref name="instance"/> is up and sends to <paramref name="endpoint"/>
    /// (or went down, when null): while the table is in place, that user's UDP to that address and port passes. Kept
    /// with the table's state (a restarted daemon keeps it) and gone with the table.
    /// </summary>
    public async Task SetRootlessExitAsync(uint uid, string instance, string? endpoint, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var s = Load();
            if (endpoint is null)
            {
                if (!RootlessExitHoles.Remove(s.RootlessExits, uid, instance)) return;
            }
            else
            {
                // Nothing blocks: nothing to open, and nothing to keep (the state goes with the table).
                if (!s.IsActive) return;
                RootlessExitHoles.Set(s.RootlessExits, uid, instance, endpoint);
            }
            Save(s);
            await ApplyLockedAsync(s, exclude: null, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>At daemon start: puts the table back as the state says (after a reboot lockdown must hold again), or removes a stale one.</summary>
    public Task RestoreAsync(CancellationToken ct) => RefreshAsync(null, ct);

    private async Task ApplyLockedAsync(FirewallState s, string? exclude, CancellationToken ct)
    {
        if (exclude is not null) _next.Remove(exclude);
        var c = commands();
        if (s.IsActive)
        {
            var policy = BuildPolicy(s, exclude);
            await new NftTable(runner, Nft(c)).ApplyAsync(policy, ct);
            s.Installed = true;
            Save(s);
            WriteStatus(ToStatus(s, exclude));
            return;
        }
        _api.Clear();
        // Neither lockdown nor a kill switch, and nothing of ours in place: nothing to run (the common case, on every connect).
        if (!s.Installed && !File.Exists(paths.FirewallStatusFile) && !File.Exists(paths.FirewallStateFile)) return;
        if (c.Tools.Which(c.Tools.Nft) is { } nft) await new NftTableRemoval(runner, nft).RemoveAsync(ct);
        s.Installed = false;
        Save(s);
        DeleteIfPresent(paths.FirewallStatusFile);
    }

    private FirewallPolicy BuildPolicy(FirewallState s, string? exclude)
    {
        var live = records.LoadAll().Where(r => r.Instance != exclude).ToList();
        var exits = new List<ExitSocket>();
        foreach (var r in live)
        {
            // Every exit's encrypted socket carries its mark; an endpoint that is not an address is left out (fail closed).
            var mark = (uint)(r.Fwmark ?? ExitMark.Value);
            foreach (var endpoint in _next.TryGetValue(r.Instance, out var next) ? [r.Endpoint, next] : new[] { r.Endpoint })
                if (EndpointAddress.TryParse(endpoint, out var address, out var port))
                    exits.Add(ExitSocket.ByMark(address, port, mark));
        }
        exits.AddRange(RootlessExitHoles.Sockets(s.RootlessExits));
        var direct = live.FirstOrDefault(r => r.Mode == TunnelModes.Direct);
        return new FirewallPolicy
        {
            Exits = exits,
            Tunnel = direct is null ? null : new TunnelAccess(
                direct.Interface,
                direct.Dns.Select(IPAddress.Parse).ToList(),
                direct.CarriesIpv4,
                direct.CarriesIpv6,
                direct.Addresses.Select(a => IPAddress.Parse(a[..a.IndexOf('/')])).ToList()),
            AllowLan = s.AllowLan,
            LanSubnets = s.LanSubnets,
            Api = _api.Values.SelectMany(a => a).ToList(),
        };
    }

    private async Task<IReadOnlyList<string>> ReadLanAsync(CancellationToken ct)
    {
        var skip = records.LoadAll().Select(r => r.Interface).Append(InstanceNames.Interface(InstanceNames.Direct)).ToHashSet();
        return await LocalSubnets.ReadAsync(commands(), skip, ct);
    }

    private void RequireNft()
    {
        var c = commands();
        if (c.Tools.Which(c.Tools.Nft) is null)
            throw new PrivilegedException(ErrorCodes.Failed,
                "the kill switch and lockdown need nftables, and nft is not installed; install it (Debian: apt install nftables)");
    }

    private static string Nft(SystemCommands c) =>
        c.Tools.Which(c.Tools.Nft) ?? throw new CommandFailedException("nft is not installed (Debian: apt install nftables)");

    private FirewallStatus ToStatus(FirewallState s, string? exclude = null) => new()
    {
        Active = s.Installed,
        Table = s.Installed ? NftTable.Spec : null,
        KillSwitch = s.KillSwitch is not null,
        KillSwitchInstance = s.KillSwitch?.Instance,
        KillSwitchHeld = s.KillSwitch is { } k && (k.Instance == exclude || records.Load(k.Instance) is null),
        Lockdown = s.Lockdown is not null,
        AllowLan = s.AllowLan,
        LanSubnets = s.AllowLan ? s.LanSubnets : [],
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    private FirewallState Load()
    {
        var path = paths.FirewallStateFile;
        if (!File.Exists(path)) return new FirewallState();
        try
        {
            return JsonSerializer.Deserialize<FirewallState>(File.ReadAllText(path), Json) ?? new FirewallState();
        }
        catch (JsonException)
        {
            // Unreadable state must not open the gates: assume a kill switch is on (disconnect clears it).
            return new FirewallState { KillSwitch = new KillSwitchHold { Instance = InstanceNames.Direct }, Installed = true };
        }
    }

    private void Save(FirewallState s)
    {
        if (!s.IsActive && !s.Installed)
        {
            DeleteIfPresent(paths.FirewallStateFile);
            return;
        }
        SecureFiles.PrivateDirectory(paths.StateDir);
        SecureFiles.WriteAtomically(paths.FirewallStateFile, stream => JsonSerializer.Serialize(stream, s, Json));
    }

    /// <summary>The world-readable status file: written to a temporary name 0644, then renamed into place.</summary>
    private void WriteStatus(FirewallStatus status)
    {
        if (OperatingSystem.IsWindows()) return;
        Directory.CreateDirectory(paths.RuntimeDir);
        var path = paths.FirewallStatusFile;
        var tmp = path + ".tmp";
        File.Delete(tmp);
        using (var stream = new FileStream(tmp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
               }))
        {
            JsonSerializer.Serialize(stream, status, ProtocolJson.Options);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void DeleteIfPresent(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }
}

/// <summary>What the firewall table must hold, kept across daemon restarts (root only, 0600).</summary>
internal sealed class FirewallState
{
    [JsonPropertyName("lockdown")] public LockdownHold? Lockdown { get; set; }
    [JsonPropertyName("kill_switch")] public KillSwitchHold? KillSwitch { get; set; }
    /// <summary>The subnets captured when LAN access was last asked for.</summary>
    [JsonPropertyName("lan_subnets")] public List<string> LanSubnets { get; set; } = [];
    /// <summary>Users' rootless exits whose encrypted traffic passes (see <see cref="RootlessExitHoles"/>).</summary>
    [JsonPropertyName("rootless_exits")] public List<RootlessExitHole> RootlessExits { get; set; } = [];
    /// <summary>The table was put in place and not yet removed.</summary>
    [JsonPropertyName("installed")] public bool Installed { get; set; }

    [JsonIgnore] public bool IsActive => Lockdown is not null || KillSwitch is not null;
    [JsonIgnore] public bool AllowLan => Lockdown?.AllowLan == true || KillSwitch?.AllowLan == true;
}

internal sealed class LockdownHold
{
    [JsonPropertyName("allow_lan")] public bool AllowLan { get; set; }
    [JsonPropertyName("since")] public DateTimeOffset Since { get; set; }
    [JsonPropertyName("by_uid")] public uint? ByUid { get; set; }
}

internal sealed class KillSwitchHold
{
    [JsonPropertyName("instance")] public required string Instance { get; set; }
    [JsonPropertyName("allow_lan")] public bool AllowLan { get; set; }
    [JsonPropertyName("since")] public DateTimeOffset Since { get; set; }
}
