using System.Text.Json.Serialization;

namespace Tunmux.Host.State;

/// <summary>
/// What the host remembers of one connection (<c>connections/&lt;instance&gt;.json</c>).
/// Never holds a private key: the daemon has the tunnel, this is for status and disconnect.
/// </summary>
public sealed record ConnectionState
{
    [JsonPropertyName("instance")] public required string Instance { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    [JsonPropertyName("server")] public required string Server { get; init; }
    [JsonPropertyName("country")] public string? Country { get; init; }
    /// <summary><c>direct</c> or <c>proxy</c>.</summary>
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    [JsonPropertyName("backend")] public required string Backend { get; init; }
    [JsonPropertyName("backend_reason")] public string? BackendReason { get; init; }
    [JsonPropertyName("interface")] public required string Interface { get; init; }
    [JsonPropertyName("namespace")] public string? Namespace { get; init; }
    [JsonPropertyName("endpoint")] public string? Endpoint { get; init; }
    [JsonPropertyName("socks_port")] public int? SocksPort { get; init; }
    [JsonPropertyName("http_port")] public int? HttpPort { get; init; }
    [JsonPropertyName("proxy_pid")] public int? ProxyPid { get; init; }
    /// <summary>The exit's proxies are open to every local user (<c>--proxy-share</c>).</summary>
    [JsonPropertyName("proxy_share")] public bool ProxyShare { get; init; }
    /// <summary>Accounts besides the owner that may use the proxies (<c>--proxy-allow</c>): <c>user:NAME</c>, <c>group:NAME</c>.</summary>
    [JsonPropertyName("proxy_allow")] public IReadOnlyList<string>? ProxyAllow { get; init; }
    [JsonPropertyName("connected_at")] public DateTimeOffset ConnectedAt { get; init; }
    /// <summary>How often the daemon switched the exit to another ranked server (<see cref="Server"/> is the one in use).</summary>
    [JsonPropertyName("failovers")] public int Failovers { get; init; }
    /// <summary>The server the provider was last told about; differs from <see cref="Server"/> after a failover it has not heard of.</summary>
    [JsonPropertyName("provider_server")] public string? ProviderServer { get; init; }
    /// <summary>When the provider's credential of the tunnel (Proton's certificate) is due for renewal; null when never.</summary>
    [JsonPropertyName("renew_after")] public DateTimeOffset? RenewAfter { get; init; }

    [JsonIgnore] public bool IsProxy => Mode == "proxy";
}
