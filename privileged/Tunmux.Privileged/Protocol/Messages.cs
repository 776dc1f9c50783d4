using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunmux.Privileged.Protocol;

/// <summary>
/// Wire protocol between the host and the privileged daemon: frames of a 4-byte big-endian
/// length followed by that many bytes of UTF-8 JSON. Every request names an intent
/// (bring a tunnel up, take it down, ...), never a shell primitive.
/// </summary>
public static class ProtocolInfo
{
    public const int Version = 1;
    public const int MaxMessageBytes = 1 << 20;
}

public static class Ops
{
    public const string Ping = "ping";
    public const string Version = "version";
    public const string TunnelUp = "tunnel.up";
    public const string TunnelDown = "tunnel.down";
    public const string TunnelList = "tunnel.list";
    public const string TunnelInspect = "tunnel.inspect";
    /// <summary>The WireGuard view of one instance, as <c>wg show</c> prints it.</summary>
    public const string TunnelWg = "tunnel.wg";
    public const string KillPid = "pid.kill";
    public const string LeaseAcquire = "lease.acquire";
    public const string LeaseRelease = "lease.release";
    public const string ShutdownIfIdle = "shutdown_if_idle";
    public const string LockdownSet = "lockdown.set";
    public const string FirewallStatus = "firewall.status";
    public const string FirewallAllowApi = "firewall.allow_api";
    /// <summary>Runs a program in an exit as the caller; takes over its connection (see <see cref="ExecArgs"/>).</summary>
    public const string Exec = "exec";
}

public static class ErrorCodes
{
    public const string BadFrame = "bad_frame";
    public const string TooLarge = "too_large";
    public const string VersionMismatch = "version_mismatch";
    public const string UnknownOperation = "unknown_operation";
    public const string InvalidArgument = "invalid_argument";
    public const string Unauthorized = "unauthorized";
    public const string NotFound = "not_found";
    public const string Conflict = "conflict";
    public const string NotImplemented = "not_implemented";
    public const string Failed = "failed";
}

public sealed class Request
{
    [JsonPropertyName("v")] public int V { get; set; } = ProtocolInfo.Version;
    [JsonPropertyName("id")] public long Id { get; set; }
    [JsonPropertyName("op")] public string Op { get; set; } = "";
    [JsonPropertyName("args")] public JsonElement? Args { get; set; }
}

public sealed class Response
{
    [JsonPropertyName("v")] public int V { get; set; } = ProtocolInfo.Version;
    [JsonPropertyName("id")] public long Id { get; set; }
    [JsonPropertyName("ok")] public bool Ok { get; set; }
    [JsonPropertyName("result")] public JsonElement? Result { get; set; }
    [JsonPropertyName("error")] public ErrorInfo? Error { get; set; }
}

public sealed record ErrorInfo(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>An error the daemon reports to the client as <see cref="ErrorInfo"/>.</summary>
public sealed class PrivilegedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

public sealed record PeerDto
{
    [JsonPropertyName("public_key")] public required string PublicKey { get; init; }
    [JsonPropertyName("preshared_key")] public string? PresharedKey { get; init; }
    [JsonPropertyName("endpoint")] public required string Endpoint { get; init; }
    [JsonPropertyName("allowed_ips")] public required IReadOnlyList<string> AllowedIps { get; init; }
    [JsonPropertyName("persistent_keepalive")] public int? PersistentKeepalive { get; init; }

    public override string ToString() =>
        $"PeerDto {{ PublicKey = {PublicKey}, PresharedKey = {(PresharedKey is null ? "none" : "***")}, Endpoint = {Endpoint}, AllowedIps = [{string.Join(", ", AllowedIps)}] }}";
}

public sealed record ProfileDto
{
    [JsonPropertyName("private_key")] public required string PrivateKey { get; init; }
    [JsonPropertyName("addresses")] public required IReadOnlyList<string> Addresses { get; init; }
    [JsonPropertyName("dns")] public IReadOnlyList<string> Dns { get; init; } = [];
    [JsonPropertyName("mtu")] public int? Mtu { get; init; }
    [JsonPropertyName("peers")] public required IReadOnlyList<PeerDto> Peers { get; init; }
    /// <summary>The NAT-PMP gateway inside the tunnel when the exit should forward a port (RFC 6886), else null.</summary>
    [JsonPropertyName("port_forward_gateway")] public string? PortForwardGateway { get; init; }

    public override string ToString() =>
        $"ProfileDto {{ PrivateKey = ***, Addresses = [{string.Join(", ", Addresses)}], Dns = [{string.Join(", ", Dns)}], Mtu = {Mtu}, Peers = [{string.Join(", ", Peers)}]"
        + (PortForwardGateway is null ? "" : $", PortForwardGateway = {PortForwardGateway}") + " }";
}

/// <summary>A server as the provider names it.</summary>
public sealed record ServerDto
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("country")] public string? Country { get; init; }
    [JsonPropertyName("city")] public string? City { get; init; }
}

/// <summary>One ranked alternative the provider offered for the same request: a complete profile and its server.</summary>
public sealed record AlternativeDto
{
    [JsonPropertyName("server")] public required ServerDto Server { get; init; }
    [JsonPropertyName("profile")] public required ProfileDto Profile { get; init; }
}

/// <summary>How the daemon supervises the exit (config.toml's [general] settings; null fields keep the daemon's defaults).</summary>
public sealed record SupervisionArgs
{
    /// <summary>Switch to the next ranked server when the current one dies (<c>--no-failover</c>: false).</summary>
    /// <remarks>Settable, not init-only: the source-generated reader gives a missing init-only property its type's default, not this one.</remarks>
    [JsonPropertyName("failover")] public bool Failover { get; set; } = true;
    [JsonPropertyName("check_interval_ms")] public int? CheckIntervalMs { get; init; }
    [JsonPropertyName("idle_check_interval_ms")] public int? IdleCheckIntervalMs { get; init; }
    [JsonPropertyName("traffic_timeout_ms")] public int? TrafficTimeoutMs { get; init; }
    [JsonPropertyName("idle_probe_ms")] public int? IdleProbeMs { get; init; }
    [JsonPropertyName("rehandshake_timeout_ms")] public int? RehandshakeTimeoutMs { get; init; }
    [JsonPropertyName("retry_after_failure_ms")] public int? RetryAfterFailureMs { get; init; }
    [JsonPropertyName("port_forward_renew_ms")] public int? PortForwardRenewMs { get; init; }
}

/// <summary>The exit's hooks: shell commands run as the connecting user on up, down and failover.</summary>
public sealed record HookArgs
{
    [JsonPropertyName("ifup")] public string? Ifup { get; init; }
    [JsonPropertyName("ifdown")] public string? Ifdown { get; init; }
    [JsonPropertyName("timeout_ms")] public int? TimeoutMs { get; init; }

    /// <summary>A hook may hold a token or a password on its command line: never logged.</summary>
    public override string ToString() =>
        $"HookArgs {{ Ifup = {(Ifup is null ? "none" : "set")}, Ifdown = {(Ifdown is null ? "none" : "set")}, TimeoutMs = {TimeoutMs} }}";
}

public sealed record ProxyArgs
{
    [JsonPropertyName("socks_port")] public int SocksPort { get; init; }
    [JsonPropertyName("http_port")] public int HttpPort { get; init; }
    [JsonPropertyName("access_log")] public bool AccessLog { get; init; }
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("password")] public string? Password { get; init; }
    /// <summary>Open the exit's proxies to every local user on purpose (default: only the owner and root).</summary>
    [JsonPropertyName("share")] public bool Share { get; init; }
    /// <summary>Others who may use the exit's proxies besides the owner: <c>user:NAME</c> and <c>group:NAME</c>.</summary>
    [JsonPropertyName("allow")] public IReadOnlyList<string>? Allow { get; init; }

    public override string ToString() =>
        $"ProxyArgs {{ SocksPort = {SocksPort}, HttpPort = {HttpPort}, AccessLog = {AccessLog}, Auth = {(Username is null ? "none" : "***")}, " +
        $"Share = {Share}, Allow = [{string.Join(", ", Allow ?? [])}] }}";
}

/// <summary>Intent: bring <see cref="Profile"/> up as <see cref="Instance"/>.</summary>
public sealed record TunnelUpArgs
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    /// <summary><c>direct</c> or <c>proxy</c>.</summary>
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    /// <summary><c>auto</c>, <c>wg-quick</c>, <c>userspace</c> or <c>kernel</c>.</summary>
    [JsonPropertyName("backend")] public string Backend { get; init; } = "auto";
    /// <summary>Userspace implementation preferred by config (<c>wireguard-go</c>, <c>boringtun</c>), or null.</summary>
    [JsonPropertyName("userspace_implementation")] public string? UserspaceImplementation { get; init; }
    [JsonPropertyName("profile")] public required ProfileDto Profile { get; init; }
    [JsonPropertyName("proxy")] public ProxyArgs? Proxy { get; init; }
    [JsonPropertyName("handshake_timeout_ms")] public int? HandshakeTimeoutMs { get; init; }
    /// <summary>The server <see cref="Profile"/> connects to, for status and hooks.</summary>
    [JsonPropertyName("server")] public ServerDto? Server { get; init; }
    /// <summary>Ranked alternatives for failover, best first; they hold private keys and stay in the daemon's 0600 state.</summary>
    /// <remarks>Settable, so a client that sends none gets an empty list (see <see cref="SupervisionArgs.Failover"/>).</remarks>
    [JsonPropertyName("alternatives")] public IReadOnlyList<AlternativeDto> Alternatives { get; set; } = [];
    [JsonPropertyName("supervision")] public SupervisionArgs? Supervision { get; init; }
    [JsonPropertyName("hooks")] public HookArgs? Hooks { get; init; }

    /// <summary>Direct mode only: block everything that does not go through the tunnel, from before the routes change until disconnect.</summary>
    [JsonPropertyName("kill_switch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool KillSwitch { get; init; }

    /// <summary>With <see cref="KillSwitch"/>: the subnets this machine is directly on pass too.</summary>
    [JsonPropertyName("allow_lan")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool AllowLan { get; init; }

    /// <summary>Direct mode only: IPv6 is blocked for the duration even when the profile has an IPv6 address.</summary>
    [JsonPropertyName("disable_ipv6")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DisableIpv6 { get; init; }
}

/// <summary>Intent: turn lockdown on (nothing leaves the machine outside a tunnel, connected or not) or off.</summary>
public sealed record LockdownArgs
{
    [JsonPropertyName("enabled")] public required bool Enabled { get; init; }
    [JsonPropertyName("allow_lan")] public bool AllowLan { get; init; }
}

/// <summary>
/// Intent, under lockdown: let the caller's own TCP connections to these provider API addresses through for as
/// long as this client connection stays open (what a connect needs before any tunnel exists).
/// </summary>
public sealed record AllowApiArgs
{
    /// <summary><c>address:port</c> or <c>[IPv6]:port</c>, addresses only (names are resolved by the caller).</summary>
    [JsonPropertyName("endpoints")] public required IReadOnlyList<string> Endpoints { get; init; }
}

/// <summary>
/// Whether tunmux's firewall table is in place and why. The daemon also keeps this in
/// <c>&lt;runtime&gt;/firewall.json</c> (world-readable, nothing secret) so <c>status</c> can show it without the daemon,
/// and it stays true to the kernel after a crash of the daemon, since the table outlives it.
/// </summary>
public sealed record FirewallStatus
{
    /// <summary>The table is installed: traffic outside the tunnel is blocked.</summary>
    [JsonPropertyName("active")] public bool Active { get; init; }
    [JsonPropertyName("table")] public string? Table { get; init; }
    [JsonPropertyName("kill_switch")] public bool KillSwitch { get; init; }
    [JsonPropertyName("kill_switch_instance")] public string? KillSwitchInstance { get; init; }
    /// <summary>The kill switch stays after a connect that failed: nothing passes until disconnect.</summary>
    [JsonPropertyName("kill_switch_held")] public bool KillSwitchHeld { get; init; }
    [JsonPropertyName("lockdown")] public bool Lockdown { get; init; }
    [JsonPropertyName("allow_lan")] public bool AllowLan { get; init; }
    [JsonPropertyName("lan_subnets")] public IReadOnlyList<string> LanSubnets { get; init; } = [];
    [JsonPropertyName("updated_at")] public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record InstanceArgs
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
}

public sealed record KillPidArgs
{
    [JsonPropertyName("pid")] public int Pid { get; init; }
}

public sealed record LeaseArgs
{
    [JsonPropertyName("lease_id")] public string? LeaseId { get; init; }
}

public sealed record LeaseResult
{
    [JsonPropertyName("lease_id")] public required string LeaseId { get; init; }
}

public sealed record VersionResult
{
    [JsonPropertyName("protocol")] public int Protocol { get; init; } = ProtocolInfo.Version;
    [JsonPropertyName("version")] public required string Version { get; init; }
}

public sealed record ShutdownResult
{
    [JsonPropertyName("shutting_down")] public bool ShuttingDown { get; init; }
    [JsonPropertyName("reason")] public string? Reason { get; init; }
}

/// <summary>What the daemon knows of one instance.</summary>
public sealed record TunnelInfo
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    [JsonPropertyName("backend")] public required string Backend { get; init; }
    [JsonPropertyName("backend_reason")] public string? BackendReason { get; init; }
    [JsonPropertyName("interface")] public required string Interface { get; init; }
    [JsonPropertyName("namespace")] public string? Namespace { get; init; }
    [JsonPropertyName("endpoint")] public string? Endpoint { get; init; }
    [JsonPropertyName("proxy_pid")] public int? ProxyPid { get; init; }
    [JsonPropertyName("socks_port")] public int? SocksPort { get; init; }
    [JsonPropertyName("http_port")] public int? HttpPort { get; init; }
    [JsonPropertyName("latest_handshake")] public DateTimeOffset? LatestHandshake { get; init; }
    [JsonPropertyName("alive")] public bool Alive { get; init; }
    /// <summary>Direct mode: the kill switch guards this instance.</summary>
    [JsonPropertyName("kill_switch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool KillSwitch { get; init; }
    [JsonPropertyName("problems")] public IReadOnlyList<string> Problems { get; init; } = [];
    /// <summary>The uid that brought the instance up (shown to it and to root).</summary>
    [JsonPropertyName("owner_uid")] public uint? OwnerUid { get; init; }
    /// <summary>The userspace WireGuard process the daemon started for it, if any.</summary>
    [JsonPropertyName("userspace_pid")] public int? UserspacePid { get; init; }
    /// <summary>
    /// Another user's instance: only its name, mode and the ports it holds are shown
    /// (so a connect can avoid them); every other field is empty.
    /// </summary>
    [JsonPropertyName("other_user")] public bool OtherUser { get; init; }

    /// <summary>What a user who does not own the instance may see of it.</summary>
    public TunnelInfo Redacted() => new()
    {
        Instance = Instance, Provider = "", Mode = Mode, Backend = "", Interface = "",
        SocksPort = SocksPort, HttpPort = HttpPort, OtherUser = true,
    };
    /// <summary>The server in use now (after a failover, not the one connected to first).</summary>
    [JsonPropertyName("server")] public ServerDto? Server { get; init; }
    [JsonPropertyName("health")] public HealthDto? Health { get; init; }
    /// <summary>What went wrong without undoing anything (a failing ifup hook, a port that could not be forwarded).</summary>
    [JsonPropertyName("warnings")] public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>What the exit's supervisor knows.</summary>
public sealed record HealthDto
{
    /// <summary><c>up</c>, <c>degraded</c>, <c>failing-over</c>, <c>failed</c> or <c>stale</c>.</summary>
    [JsonPropertyName("state")] public required string State { get; init; }
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("since")] public DateTimeOffset? Since { get; init; }
    /// <summary>False for exits brought up over the stdio transport (no daemon stays to watch them).</summary>
    [JsonPropertyName("supervised")] public bool Supervised { get; init; }
    [JsonPropertyName("rx_bytes")] public long? RxBytes { get; init; }
    [JsonPropertyName("tx_bytes")] public long? TxBytes { get; init; }
    [JsonPropertyName("failover")] public bool Failover { get; init; }
    [JsonPropertyName("failovers")] public int Failovers { get; init; }
    /// <summary>Ranked servers the exit can use, the one in use included.</summary>
    [JsonPropertyName("servers")] public int Servers { get; init; }
    [JsonPropertyName("proxy_restarts")] public int ProxyRestarts { get; init; }
    /// <summary>The public port NAT-PMP mapped at the exit's gateway, when port forwarding is on.</summary>
    [JsonPropertyName("forwarded_port")] public int? ForwardedPort { get; init; }
    [JsonPropertyName("log")] public string? Log { get; init; }
}

public sealed record WgShowResult
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    /// <summary><c>wg show &lt;interface&gt;</c>'s text (the private key shown as hidden, as wg itself does).</summary>
    [JsonPropertyName("text")] public required string Text { get; init; }
}

/// <summary>
/// Arguments of <c>tunnel.list</c> (optional). <c>check: false</c> answers from the records alone,
/// without looking at each instance's namespace, interface and processes: what a connect needs
/// (names and ports in use) at a cost that does not grow with the number of instances. Then
/// <c>alive</c> only says whether bringing the instance up finished, and no handshake is reported.
/// </summary>
public sealed record TunnelListArgs
{
    [JsonPropertyName("check")] public bool Check { get; init; } = true;
}

public sealed record TunnelListResult
{
    [JsonPropertyName("tunnels")] public required IReadOnlyList<TunnelInfo> Tunnels { get; init; }
}

public sealed record TunnelDownResult
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    /// <summary>False when there was nothing left to take down (down is idempotent).</summary>
    [JsonPropertyName("was_up")] public bool WasUp { get; init; }
}

public static class ProtocolJson
{
    /// <summary>
    /// Strict options: unknown fields are errors, so a typo never silently does less. Contracts come
    /// from source generation (no reflection warm-up on every CLI call), with reflection as the
    /// fallback for a type not listed in <see cref="ProtocolJsonContext"/>.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            ProtocolJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        MaxDepth = 16,
    };

    /// <summary>
    /// Builds the metadata of every message type now. Its first use otherwise costs a command tens of
    /// milliseconds of compilation (generic code over the message types), on the path to the daemon.
    /// </summary>
    public static void WarmUp()
    {
        // The types listed on ProtocolJsonContext, so there is no second list to keep in step.
        foreach (var listed in typeof(ProtocolJsonContext).CustomAttributes.Where(a => a.AttributeType == typeof(JsonSerializableAttribute)))
            Options.GetTypeInfo((Type)listed.ConstructorArguments[0].Value!);
        JsonSerializer.SerializeToUtf8Bytes(new Request { Id = 0, Op = Ops.Ping }, Options);
    }
}

[JsonSerializable(typeof(Request))]
[JsonSerializable(typeof(Response))]
[JsonSerializable(typeof(TunnelUpArgs))]
[JsonSerializable(typeof(InstanceArgs))]
[JsonSerializable(typeof(KillPidArgs))]
[JsonSerializable(typeof(LeaseArgs))]
[JsonSerializable(typeof(LeaseResult))]
[JsonSerializable(typeof(VersionResult))]
[JsonSerializable(typeof(ShutdownResult))]
[JsonSerializable(typeof(TunnelInfo))]
[JsonSerializable(typeof(TunnelListArgs))]
[JsonSerializable(typeof(TunnelListResult))]
[JsonSerializable(typeof(TunnelDownResult))]
[JsonSerializable(typeof(WgShowResult))]
[JsonSerializable(typeof(LockdownArgs))]
[JsonSerializable(typeof(AllowApiArgs))]
[JsonSerializable(typeof(FirewallStatus))]
[JsonSerializable(typeof(ExecArgs))]
[JsonSerializable(typeof(ExecResult))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary>
/// Intent: run <see cref="File"/> inside <see cref="Instance"/>'s namespace as the caller. The connection then belongs
/// to the program. The daemon answers once (<see cref="ExecResult.Ready"/>); the client then sends one byte with
/// descriptors attached as <c>SCM_RIGHTS</c>: <c>F</c> with its stdin, stdout, stderr and working folder (an
/// <c>O_PATH</c> descriptor), or, with <see cref="Terminal"/>, <c>T</c> with its working folder only, and the daemon
/// sends back <c>T</c> with the master side of a new terminal (or <c>E</c> without descriptors, then an error
/// answer). The second answer is the program's exit status. If the connection closes first, the program is ended.
/// </summary>
public sealed record ExecArgs
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    /// <summary>Absolute path of the program, as the caller's PATH resolved it (executed as the caller).</summary>
    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("arguments")] public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>The caller's terminal and locale variables (<see cref="Daemon.ExecEnvironment"/>: only those, checked).</summary>
    [JsonPropertyName("environment")] public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>A terminal of the program's own, at the caller's window size; null to use the caller's streams as they are.</summary>
    [JsonPropertyName("terminal")] public ExecTerminal? Terminal { get; init; }
}

public sealed record ExecTerminal
{
    [JsonPropertyName("rows")] public int Rows { get; init; }
    [JsonPropertyName("columns")] public int Columns { get; init; }
}

public sealed record ExecResult
{
    /// <summary>First answer: the descriptors may be exchanged now.</summary>
    [JsonPropertyName("ready")] public bool Ready { get; init; }
    /// <summary>Second answer: the exit code, 128 + N when signal N ended the program (as a shell reports it).</summary>
    [JsonPropertyName("exit_code")] public int? ExitCode { get; init; }
}
