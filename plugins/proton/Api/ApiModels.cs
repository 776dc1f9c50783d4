using System.Text.Json.Serialization;

namespace Tunmux.Plugins.Proton.Api;

// Wire types of Proton's API. Field names are Proton's (PascalCase, some upper-case acronyms).

/// <summary>Fields every Proton answer carries.</summary>
public class ApiResponse
{
    [JsonPropertyName("Code")] public int Code { get; set; }
    [JsonPropertyName("Error")] public string? Error { get; set; }

    /// <summary>Error details, their shape depends on the error (9001: the human verification methods and token).</summary>
    [JsonPropertyName("Details")] public System.Text.Json.JsonElement Details { get; set; }
}

public sealed class AuthInfoRequest
{
    [JsonPropertyName("Username")] public required string Username { get; set; }
}

public sealed class AuthInfoResponse : ApiResponse
{
    [JsonPropertyName("Version")] public int Version { get; set; }
    [JsonPropertyName("Modulus")] public string Modulus { get; set; } = "";
    [JsonPropertyName("ServerEphemeral")] public string ServerEphemeral { get; set; } = "";
    [JsonPropertyName("Salt")] public string? Salt { get; set; }
    [JsonPropertyName("SRPSession")] public string SrpSession { get; set; } = "";
}

public sealed class AuthRequest
{
    [JsonPropertyName("Username")] public required string Username { get; set; }
    [JsonPropertyName("ClientEphemeral")] public required string ClientEphemeral { get; set; }
    [JsonPropertyName("ClientProof")] public required string ClientProof { get; set; }
    [JsonPropertyName("SRPSession")] public required string SrpSession { get; set; }
}

public sealed class TwoFactorInfo
{
    /// <summary>Bit mask: 1 = TOTP, 2 = security key (FIDO2).</summary>
    [JsonPropertyName("Enabled")] public int Enabled { get; set; }
    [JsonPropertyName("TOTP")] public int Totp { get; set; }
}

public sealed class AuthResponse : ApiResponse
{
    [JsonPropertyName("UID")] public string Uid { get; set; } = "";
    [JsonPropertyName("AccessToken")] public string AccessToken { get; set; } = "";
    [JsonPropertyName("RefreshToken")] public string RefreshToken { get; set; } = "";
    [JsonPropertyName("TokenType")] public string? TokenType { get; set; }
    [JsonPropertyName("ServerProof")] public string ServerProof { get; set; } = "";
    [JsonPropertyName("Scopes")] public List<string>? Scopes { get; set; }
    [JsonPropertyName("2FA")] public TwoFactorInfo? TwoFactor { get; set; }
}

public sealed class TwoFactorRequest
{
    [JsonPropertyName("TwoFactorCode")] public required string TwoFactorCode { get; set; }
}

public sealed class TwoFactorResponse : ApiResponse
{
    [JsonPropertyName("Scopes")] public List<string>? Scopes { get; set; }
}

public sealed class RefreshRequest
{
    [JsonPropertyName("UID")] public required string Uid { get; set; }
    [JsonPropertyName("RefreshToken")] public required string RefreshToken { get; set; }
    [JsonPropertyName("ResponseType")] public string ResponseType { get; set; } = "token";
    [JsonPropertyName("GrantType")] public string GrantType { get; set; } = "refresh_token";
    [JsonPropertyName("RedirectURI")] public string RedirectUri { get; set; } = "http://protonmail.ch";
}

public sealed class RefreshResponse : ApiResponse
{
    [JsonPropertyName("UID")] public string? Uid { get; set; }
    [JsonPropertyName("AccessToken")] public string AccessToken { get; set; } = "";
    [JsonPropertyName("RefreshToken")] public string RefreshToken { get; set; } = "";
}

public sealed class VpnInfo
{
    [JsonPropertyName("Name")] public string? Name { get; set; }
    [JsonPropertyName("PlanName")] public string? PlanName { get; set; }
    [JsonPropertyName("PlanTitle")] public string? PlanTitle { get; set; }
    [JsonPropertyName("MaxTier")] public int? MaxTier { get; set; }
    [JsonPropertyName("MaxConnect")] public int? MaxConnect { get; set; }
    [JsonPropertyName("ExpirationTime")] public long? ExpirationTime { get; set; }
}

public sealed class VpnInfoResponse : ApiResponse
{
    [JsonPropertyName("VPN")] public VpnInfo? Vpn { get; set; }
    [JsonPropertyName("Subscribed")] public int? Subscribed { get; set; }
    [JsonPropertyName("Delinquent")] public int? Delinquent { get; set; }
}

/// <summary>
/// <c>POST vpn/v1/certificate</c> as WebClients sends it (packages/components/containers/vpn/
/// WireGuardConfigurationSection: <c>CertificateGenerationParams</c>): the key, persistent mode, the
/// device name, the features, and <c>Renew: true</c> to extend the certificate of a key already known.
/// </summary>
public sealed class CertificateRequest
{
    [JsonPropertyName("ClientPublicKey")] public required string ClientPublicKey { get; set; }
    [JsonPropertyName("Mode")] public string Mode { get; set; } = "persistent";
    [JsonPropertyName("DeviceName")] public required string DeviceName { get; set; }
    [JsonPropertyName("Duration")] public string? Duration { get; set; }
    [JsonPropertyName("Features")] public CertificateFeatures? Features { get; set; }
    [JsonPropertyName("Renew")] public bool? Renew { get; set; }
}

/// <summary>
/// Certificate features under the keys python-proton-vpn-api-core sends (session/fetcher.py:
/// <c>NetShieldLevel</c>, <c>RandomNAT</c>, <c>PortForwarding</c>, <c>SplitTCP</c>); moderate NAT is
/// <c>RandomNAT = false</c>, VPN Accelerator is <c>SplitTCP</c>.
/// </summary>
public sealed class CertificateFeatures
{
    [JsonPropertyName("NetShieldLevel")] public int NetShieldLevel { get; set; }
    [JsonPropertyName("RandomNAT")] public bool RandomNat { get; set; } = true;
    [JsonPropertyName("PortForwarding")] public bool PortForwarding { get; set; }
    [JsonPropertyName("SplitTCP")] public bool SplitTcp { get; set; } = true;
}

public sealed class CertificateResponse : ApiResponse
{
    [JsonPropertyName("SerialNumber")] public string? SerialNumber { get; set; }
    [JsonPropertyName("ClientKeyFingerprint")] public string? ClientKeyFingerprint { get; set; }
    [JsonPropertyName("ClientKey")] public string? ClientKey { get; set; }
    [JsonPropertyName("Certificate")] public string? Certificate { get; set; }
    [JsonPropertyName("ExpirationTime")] public long ExpirationTime { get; set; }
    [JsonPropertyName("RefreshTime")] public long RefreshTime { get; set; }
    [JsonPropertyName("Mode")] public string? Mode { get; set; }
    [JsonPropertyName("DeviceName")] public string? DeviceName { get; set; }
}

/// <summary><c>GET vpn/v1/certificate/all</c>: the account's certificates (WebClients <c>queryCertificates</c>).</summary>
public sealed class CertificateListResponse : ApiResponse
{
    [JsonPropertyName("Certificates")] public List<CertificateResponse> Certificates { get; set; } = [];
}

/// <summary><c>DELETE vpn/v1/certificate</c> filter (WebClients <c>CertificateDeletionParams</c>).</summary>
public sealed class CertificateDeletionRequest
{
    [JsonPropertyName("SerialNumber")] public required string SerialNumber { get; set; }
}

/// <summary>How many certificates a deletion revoked.</summary>
public sealed class CertificateDeletionResponse : ApiResponse
{
    [JsonPropertyName("Count")] public int Count { get; set; }
}

/// <summary>Source-generated (reflection-free) serialization of the wire types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiResponse))]
[JsonSerializable(typeof(AuthInfoRequest))]
[JsonSerializable(typeof(AuthInfoResponse))]
[JsonSerializable(typeof(AuthRequest))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(TwoFactorRequest))]
[JsonSerializable(typeof(TwoFactorResponse))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(RefreshResponse))]
[JsonSerializable(typeof(VpnInfoResponse))]
[JsonSerializable(typeof(CertificateRequest))]
[JsonSerializable(typeof(CertificateResponse))]
[JsonSerializable(typeof(CertificateListResponse))]
[JsonSerializable(typeof(CertificateDeletionRequest))]
[JsonSerializable(typeof(CertificateDeletionResponse))]
public sealed partial class ApiJson : JsonSerializerContext;
