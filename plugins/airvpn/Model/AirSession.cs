using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunmux.Plugins.AirVpn.Model;

/// <summary>
/// What <c>login</c> stores in the credential item <c>session.json</c>. AirVPN's encrypted API has no
/// tokens: every call carries the user name and password, so both are kept (as secrets) here.
/// </summary>
internal sealed record AirSession
{
    public required string Username { get; init; }
    public required string Password { get; init; }

    /// <summary>The servers' WireGuard public key, as act=user returns it.</summary>
    public string WgPublicKey { get; init; } = "";

    /// <summary>Subscription end (unix seconds), when known.</summary>
    public long? ExpiresAt { get; init; }

    /// <summary>One WireGuard key per device.</summary>
    public IReadOnlyList<AirKey> Keys { get; init; } = [];

    /// <summary>REST API key used by <c>generate</c>; provisioned through the web session on first use.</summary>
    public string? ApiKey { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A device's WireGuard key and addresses (the <c>key</c> element of act=user).</summary>
internal sealed record AirKey
{
    public required string Name { get; init; }
    public string WgPrivateKey { get; init; } = "";
    public string WgIpv4 { get; init; } = "";
    public string WgIpv6 { get; init; } = "";
    public string WgDnsIpv4 { get; init; } = "";
    public string WgDnsIpv6 { get; init; } = "";
    public string WgPreshared { get; init; } = "";
}
