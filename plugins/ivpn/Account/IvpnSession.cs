using System.Text.Json.Serialization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Ivpn.Account;

/// <summary>
/// What a login leaves: the account ID (the credential), the session token, the WireGuard key set
/// on the session and the tunnel address IVPN gave it, and the account's state. Secret as a whole;
/// kept only in the host's credential store.
/// </summary>
internal sealed class IvpnSession
{
    public string AccountId { get; set; } = "";
    public string SessionToken { get; set; } = "";
    public string? DeviceName { get; set; }
    public string PrivateKey { get; set; } = "";
    public string PublicKey { get; set; } = "";
    public DateTimeOffset KeyCreated { get; set; }
    public string TunnelAddress { get; set; } = "";
    public bool Active { get; set; }
    public DateTimeOffset? ActiveUntil { get; set; }
    public string? Plan { get; set; }
    public DateTimeOffset? CheckedAt { get; set; }

    public void Apply(Api.ServiceStatus? status, DateTimeOffset now)
    {
        if (status is null) return;
        Active = status.IsActive;
        ActiveUntil = status.ActiveUntil > 0 ? DateTimeOffset.FromUnixTimeSeconds(status.ActiveUntil) : null;
        Plan = string.IsNullOrWhiteSpace(status.CurrentPlan) ? Plan : status.CurrentPlan;
        CheckedAt = now;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IvpnSession))]
internal sealed partial class SessionJson : JsonSerializerContext;

/// <summary>The session in the host's credential store.</summary>
internal sealed class SessionStore(ICredentialStore credentials, IPluginLogger log)
    : SecretItem<IvpnSession>(credentials, log, SessionJson.Default.IvpnSession, "IVPN", "tunmux ivpn login")
{
    protected override bool IsComplete(IvpnSession s) => s.AccountId.Length > 0 && s.SessionToken.Length > 0 && s.PrivateKey.Length > 0;

    protected override IEnumerable<string?> Secrets(IvpnSession s) => [s.AccountId, s.SessionToken, s.PrivateKey];
}
