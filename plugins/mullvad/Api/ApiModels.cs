using System.Text.Json.Serialization;

namespace Tunmux.Plugins.Mullvad.Api;

// Wire format of Mullvad's REST API as its own client reads and writes it
// (mullvad/mullvadvpn-app: mullvad-api/src/access.rs, lib.rs, device.rs, rest.rs; mullvad-types/src/account.rs).

/// <summary><c>POST auth/v1/token</c> → 200.</summary>
internal sealed class AccessTokenAnswer
{
    public string AccessToken { get; set; } = "";
    public DateTimeOffset Expiry { get; set; }
}

/// <summary><c>GET accounts/v1/accounts/me</c> → 200.</summary>
internal sealed class AccountAnswer
{
    public string Id { get; set; } = "";
    public DateTimeOffset Expiry { get; set; }
    public int? MaxDevices { get; set; }
    public bool? CanAddDevices { get; set; }
}

/// <summary><c>POST accounts/v1/accounts</c> → 201.</summary>
internal sealed class AccountCreatedAnswer
{
    public string Number { get; set; } = "";
    public string? Id { get; set; }
    public DateTimeOffset? Expiry { get; set; }
}

/// <summary>A device: <c>POST accounts/v1/devices</c> → 201, <c>GET accounts/v1/devices[/{id}]</c> → 200.</summary>
internal sealed class DeviceAnswer
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Pubkey { get; set; } = "";
    public bool HijackDns { get; set; }
    public DateTimeOffset Created { get; set; }
    public string? Ipv4Address { get; set; }
    public string? Ipv6Address { get; set; }
}

/// <summary>Body of <c>POST accounts/v1/devices</c>.</summary>
internal sealed class DeviceSubmission
{
    public required string Pubkey { get; init; }
    public bool HijackDns { get; init; }
}

/// <summary>Body of <c>PUT accounts/v1/devices/{id}/pubkey</c> (device.rs RotateDevicePubkey).</summary>
internal sealed class KeyRotation
{
    public required string Pubkey { get; init; }
}

/// <summary>Body of <c>POST auth/v1/token</c>.</summary>
internal sealed class AccessTokenRequest
{
    public required string AccountNumber { get; init; }
}

/// <summary>
/// An error answer: the older form <c>{"code": "MAX_DEVICES_REACHED", "detail"|"error": "..."}</c>, or
/// <c>application/problem+json</c> whose <c>type</c> takes the code's place.
/// </summary>
internal sealed class ErrorAnswer
{
    public string? Code { get; set; }
    public string? Type { get; set; }
    public string? Detail { get; set; }
    public string? Error { get; set; }
    public string? Title { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AccessTokenAnswer))]
[JsonSerializable(typeof(AccountAnswer))]
[JsonSerializable(typeof(AccountCreatedAnswer))]
[JsonSerializable(typeof(DeviceAnswer))]
[JsonSerializable(typeof(List<DeviceAnswer>))]
[JsonSerializable(typeof(DeviceSubmission))]
[JsonSerializable(typeof(AccessTokenRequest))]
[JsonSerializable(typeof(KeyRotation))]
[JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class ApiJson : JsonSerializerContext;
