using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Contracts;

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

/// <summary>The session in the host's credential store, never a file of its own.</summary>
internal sealed class SessionStore(ICredentialStore credentials, IPluginLogger log)
{
    public const string Item = "session.json";

    public async Task<IvpnSession?> LoadAsync(CancellationToken ct)
    {
        var text = await credentials.GetAsync(Item, ct).ConfigureAwait(false);
        if (text is null) return null;
        IvpnSession? session;
        try
        {
            session = JsonSerializer.Deserialize(text, SessionJson.Default.IvpnSession);
        }
        catch (JsonException)
        {
            throw new ProviderException($"the stored IVPN session in {credentials.Description} is damaged; log in again with `tunmux ivpn login`");
        }
        if (session is null || session.AccountId.Length == 0 || session.SessionToken.Length == 0 || session.PrivateKey.Length == 0)
            throw new ProviderException($"the stored IVPN session in {credentials.Description} is incomplete; log in again with `tunmux ivpn login`");
        RegisterSecrets(session);
        return session;
    }

    public async Task<IvpnSession> RequireAsync(CancellationToken ct) =>
        await LoadAsync(ct).ConfigureAwait(false)
        ?? throw new ProviderException("not logged in to IVPN; run `tunmux ivpn login` first");

    public Task SaveAsync(IvpnSession session, CancellationToken ct)
    {
        RegisterSecrets(session);
        return credentials.SetAsync(Item, JsonSerializer.Serialize(session, SessionJson.Default.IvpnSession), ct);
    }

    public Task<bool> DeleteAsync(CancellationToken ct) => credentials.DeleteAsync(Item, ct);

    private void RegisterSecrets(IvpnSession s)
    {
        foreach (var secret in new[] { s.AccountId, s.SessionToken, s.PrivateKey })
            if (!string.IsNullOrEmpty(secret)) log.RegisterSecret(secret);
    }
}
