using System.Text.Json.Serialization;

namespace Tunmux.Plugins.Ivpn.Api;

// Wire format of IVPN's API as its own daemon reads and writes it
// (ivpn/desktop-app: daemon/api/api.go, daemon/api/types/requests.go, responses.go, errors.go, servers.go).

/// <summary>Every answer carries <c>status</c> (200 = success, else an error code) and maybe <c>message</c>.</summary>
internal class StatusAnswer
{
    public int Status { get; set; }
    public string? Message { get; set; }
}

/// <summary><c>service_status</c>: the account's state.</summary>
internal sealed class ServiceStatus
{
    [JsonPropertyName("is_active")] public bool IsActive { get; set; }
    public long ActiveUntil { get; set; }
    public string? CurrentPlan { get; set; }
    public string? PaymentMethod { get; set; }
    public bool IsRenewable { get; set; }
    [JsonPropertyName("is_on_free_trial")] public bool IsOnFreeTrial { get; set; }
    public List<string>? Capabilities { get; set; }
    public int Limit { get; set; }
}

internal sealed class WireGuardLogin
{
    public int Status { get; set; }
    public string? Message { get; set; }
    public string? IpAddress { get; set; }
}

/// <summary><c>POST v4/session/new</c> on success.</summary>
internal sealed class SessionNewAnswer : StatusAnswer
{
    public string? Token { get; set; }
    public string? VpnUsername { get; set; }
    public string? VpnPassword { get; set; }
    public string? DeviceName { get; set; }
    public ServiceStatus? ServiceStatus { get; set; }
    public WireGuardLogin? Wireguard { get; set; }
}

/// <summary><c>POST v4/session/new</c> answered 602 (session limit): the account's state in <c>data</c>.</summary>
internal sealed class SessionLimitAnswer : StatusAnswer
{
    public ServiceStatus? Data { get; set; }
}

/// <summary><c>POST v4/session/status</c>.</summary>
internal sealed class SessionStatusAnswer : StatusAnswer
{
    public ServiceStatus? ServiceStatus { get; set; }
    public string? DeviceName { get; set; }
}

/// <summary><c>POST v4/session/wg/set</c>.</summary>
internal sealed class KeySetAnswer : StatusAnswer
{
    public string? IpAddress { get; set; }
}

internal sealed class SessionNewRequest
{
    public required string Username { get; init; }
    public bool Force { get; init; }
    public required string WgPublicKey { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Confirmation { get; init; }
}

internal sealed class SessionTokenRequest
{
    public required string SessionToken { get; init; }
}

internal sealed class KeySetRequest
{
    public required string SessionToken { get; init; }
    public required string PublicKey { get; init; }
    public required string ConnectedPublicKey { get; init; }
}

/// <summary>The web site's <c>POST /web/accounts/create</c> (as the original tool, CaddyGlow/tunmux src/ivpn/handlers.rs, calls it).</summary>
internal sealed class CreateAccountRequest
{
    public required string Product { get; init; }
}

internal sealed class CreateAccountAnswer
{
    public CreatedAccount? Account { get; set; }
}

internal sealed class CreatedAccount
{
    public string Id { get; set; } = "";
    public string? RefId { get; set; }
    public bool IsActive { get; set; }
    public CreatedProduct? Product { get; set; }
}

internal sealed class CreatedProduct
{
    public string? Name { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatusAnswer))]
[JsonSerializable(typeof(SessionNewAnswer))]
[JsonSerializable(typeof(SessionLimitAnswer))]
[JsonSerializable(typeof(SessionStatusAnswer))]
[JsonSerializable(typeof(KeySetAnswer))]
[JsonSerializable(typeof(SessionNewRequest))]
[JsonSerializable(typeof(SessionTokenRequest))]
[JsonSerializable(typeof(KeySetRequest))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(CreateAccountAnswer))]
internal sealed partial class ApiJson : JsonSerializerContext;
