using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// What the daemon remembers of one instance, so that a later daemon (it stops itself when idle)
/// can report and take it down. Holds everything needed to undo each step and nothing secret:
/// no private or preshared key.
/// </summary>
internal sealed class TunnelRecord
{
    [JsonPropertyName("instance")] public required string Instance { get; set; }
    /// <summary>The uid that brought it up; null in records of earlier versions (then only root manages it).</summary>
    [JsonPropertyName("owner_uid")] public uint? OwnerUid { get; set; }
    [JsonPropertyName("provider")] public required string Provider { get; set; }
    [JsonPropertyName("mode")] public required string Mode { get; set; }
    [JsonPropertyName("backend")] public required string Backend { get; set; }
    [JsonPropertyName("backend_reason")] public string? BackendReason { get; set; }
    [JsonPropertyName("interface")] public required string Interface { get; set; }
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("peer_public_key")] public required string PeerPublicKey { get; set; }
    [JsonPropertyName("endpoint")] public required string Endpoint { get; set; }
    [JsonPropertyName("persistent_keepalive")] public int? PersistentKeepalive { get; set; }
    [JsonPropertyName("addresses")] public IReadOnlyList<string> Addresses { get; set; } = [];
    [JsonPropertyName("allowed_ips")] public IReadOnlyList<string> AllowedIps { get; set; } = [];
    [JsonPropertyName("dns")] public IReadOnlyList<string> Dns { get; set; } = [];
    [JsonPropertyName("mtu")] public int Mtu { get; set; }

    /// <summary><c>kernel</c>, or the userspace implementation's name, once the link exists.</summary>
    [JsonPropertyName("data_plane")] public string? DataPlane { get; set; }
    /// <summary>The userspace implementation wg-quick is told to use (userspace backend).</summary>
    [JsonPropertyName("userspace_implementation")] public string? UserspaceImplementation { get; set; }
    [JsonPropertyName("userspace_pid")] public int? UserspacePid { get; set; }
    [JsonPropertyName("config_path")] public string? ConfigPath { get; set; }
    [JsonPropertyName("routing_table")] public int? RoutingTable { get; set; }
    /// <summary>The families (<c>-4</c>, <c>-6</c>) whose default goes through <see cref="RoutingTable"/>.</summary>
    [JsonPropertyName("routing_families")] public List<string> RoutingFamilies { get; set; } = [];
    [JsonPropertyName("src_valid_mark_before")] public string? SrcValidMarkBefore { get; set; }
    /// <summary><c>resolvconf</c>, <c>resolvectl</c>, <c>file</c>, <c>netns</c>, <c>wg-quick</c>, or null when DNS was left alone.</summary>
    [JsonPropertyName("dns_method")] public string? DnsMethod { get; set; }
    /// <summary>The exact bytes of resolv.conf before it was written, base64.</summary>
    [JsonPropertyName("resolv_conf_backup")] public string? ResolvConfBackup { get; set; }
    /// <summary>The real file resolv.conf led to when it was written (resolved once, restored there).</summary>
    [JsonPropertyName("resolv_conf_target")] public string? ResolvConfTarget { get; set; }
    /// <summary>False when there was no file before: restoring then removes the one written.</summary>
    [JsonPropertyName("resolv_conf_existed")] public bool ResolvConfExisted { get; set; } = true;
    [JsonPropertyName("proxy_pid")] public int? ProxyPid { get; set; }
    [JsonPropertyName("socks_port")] public int? SocksPort { get; set; }
    [JsonPropertyName("http_port")] public int? HttpPort { get; set; }
    /// <summary>Who may use the proxies besides the owner and root (resolved at up, kept for a proxy restart).</summary>
    [JsonPropertyName("proxy_share")] public bool ProxyShare { get; set; }
    [JsonPropertyName("proxy_allow_uids")] public IReadOnlyList<uint> ProxyAllowUids { get; set; } = [];
    [JsonPropertyName("proxy_allow_gids")] public IReadOnlyList<uint> ProxyAllowGids { get; set; } = [];
    /// <summary>Rootless exits: the process holding the user, network and mount namespaces, and that network namespace (<c>net:[inode]</c>).</summary>
    [JsonPropertyName("holder_pid")] public int? HolderPid { get; set; }
    [JsonPropertyName("netns_id")] public string? NetnsId { get; set; }
    /// <summary>Rootless exits: the user-mode link to the outside (<c>pasta</c> or <c>slirp4netns</c>) and its PID.</summary>
    [JsonPropertyName("outside_link")] public string? OutsideLink { get; set; }
    [JsonPropertyName("outside_pid")] public int? OutsidePid { get; set; }
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>False while the instance is being brought up; a record left incomplete means a crash mid-way.</summary>
    [JsonPropertyName("complete")] public bool Complete { get; set; }

    /// <summary>The server in use (it changes on failover).</summary>
    [JsonPropertyName("server")] public Protocol.ServerDto? Server { get; set; }
    /// <summary>Which of the plan's ranked profiles the interface has now (0: the one brought up).</summary>
    [JsonPropertyName("profile_index")] public int ProfileIndex { get; set; }
    [JsonPropertyName("failovers")] public int Failovers { get; set; }
    /// <summary>Whether a daemon watches this exit; exits brought up over the stdio transport have none.</summary>
    [JsonPropertyName("supervised")] public bool Supervised { get; set; }
    [JsonPropertyName("unsupervised_reason")] public string? UnsupervisedReason { get; set; }
    [JsonPropertyName("forwarded_port")] public int? ForwardedPort { get; set; }
    /// <summary>Direct mode: the kill switch was asked for (it stays until this instance is taken down).</summary>
    [JsonPropertyName("kill_switch")] public bool KillSwitch { get; set; }
    [JsonPropertyName("allow_lan")] public bool AllowLan { get; set; }
    /// <summary>IPv6 blocked for the duration although the profile has an IPv6 address.</summary>
    [JsonPropertyName("disable_ipv6")] public bool DisableIpv6 { get; set; }
    /// <summary>The firewall mark the interface sets on its encrypted packets; null in records older than the exit mark (then it equals the table).</summary>
    [JsonPropertyName("fwmark")] public int? Fwmark { get; set; }
    /// <summary>Direct mode: the families blocked for the duration (<c>-4</c>, <c>-6</c>), by an unreachable default in <see cref="BlockTable"/>.</summary>
    [JsonPropertyName("blocked_families")] public List<string> BlockedFamilies { get; set; } = [];
    [JsonPropertyName("block_table")] public int? BlockTable { get; set; }

    [JsonIgnore] public bool IsProxy => Mode == TunnelModes.Proxy;

    /// <summary>IPv4 goes through the tunnel: the profile has an IPv4 address.</summary>
    [JsonIgnore] public bool CarriesIpv4 => Addresses.Any(a => !TunnelArgsValidator.IsIPv6(a));

    /// <summary>IPv6 goes through the tunnel: the profile has an IPv6 address and IPv6 was not disabled.</summary>
    [JsonIgnore] public bool CarriesIpv6 => !DisableIpv6 && Addresses.Any(TunnelArgsValidator.IsIPv6);

    /// <summary>Whether the tunnel carries family <c>-4</c> or <c>-6</c>.</summary>
    public bool Carries(string family) => family == "-6" ? CarriesIpv6 : CarriesIpv4;
}

internal static class TunnelModes
{
    public const string Direct = "direct";
    public const string Proxy = "proxy";
}

/// <summary>Per-instance records under <see cref="PrivilegedPaths.TunnelsDir"/> (root-only folder, 0600 files, atomic writes).</summary>
internal sealed class TunnelRecordStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Directory { get; } = directory;

    public string PathOf(string instance) => Path.Combine(Directory, instance + ".json");

    public void Save(TunnelRecord record)
    {
        SecureFiles.PrivateDirectory(Directory);
        SecureFiles.WriteAtomically(PathOf(record.Instance), stream => JsonSerializer.Serialize(stream, record, Json));
    }

    public TunnelRecord? Load(string instance)
    {
        var path = PathOf(instance);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<TunnelRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public IReadOnlyList<TunnelRecord> LoadAll()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var list = new List<TunnelRecord>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
            if (Load(Path.GetFileNameWithoutExtension(file)) is { } r) list.Add(r);
        return list;
    }

    public void Delete(string instance) => File.Delete(PathOf(instance));
}
