using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;

namespace Tunmux.Plugins.Proton.Auth;

/// <summary>The certificate Proton issued for the client's key.</summary>
public sealed class StoredCertificate
{
    public string? SerialNumber { get; set; }
    public long ExpirationTime { get; set; }
    public long RefreshTime { get; set; }
    public string? DeviceName { get; set; }
    public string? Mode { get; set; }

    /// <summary>The features this certificate was issued with; null for certificates from before features were kept.</summary>
    public Keys.DeviceFeatures? Features { get; set; }

    [JsonIgnore] public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeSeconds(ExpirationTime);
    [JsonIgnore] public DateTimeOffset RefreshAt => DateTimeOffset.FromUnixTimeSeconds(RefreshTime);
}

/// <summary>
/// Everything a login leaves behind: tokens, account facts, the device key and its certificate.
/// Secret as a whole. The device key outlives logins of the same user (a new login reuses it, so the
/// account does not collect one configuration per login) and goes with <c>logout</c>.
/// </summary>
public sealed class ProtonSession
{
    public string Username { get; set; } = "";
    public string Uid { get; set; } = "";
    public string AccessToken { get; set; } = "";
    public string RefreshToken { get; set; } = "";
    public string? PlanName { get; set; }
    public string? PlanTitle { get; set; }
    public int MaxTier { get; set; }
    public int MaxConnect { get; set; }
    public long? SubscriptionExpires { get; set; }
    public string Ed25519PrivateKey { get; set; } = "";
    public StoredCertificate? Certificate { get; set; }

    [JsonIgnore] public ApiTokens Tokens => new(Uid, AccessToken, RefreshToken);

    public void Apply(ApiTokens tokens)
    {
        Uid = tokens.Uid;
        AccessToken = tokens.AccessToken;
        RefreshToken = tokens.RefreshToken;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ProtonSession))]
internal sealed partial class SessionJson : JsonSerializerContext;

/// <summary>Reads and writes the session through the host's credential store (never a file of its own).</summary>
public sealed class SessionStore(ICredentialStore credentials, IPluginLogger log)
{
    /// <summary>Item name in the credential store.</summary>
    public const string Item = "session.json";

    public async Task<ProtonSession?> LoadAsync(CancellationToken ct)
    {
        var text = await credentials.GetAsync(Item, ct).ConfigureAwait(false);
        if (text is null) return null;
        ProtonSession? session;
        try
        {
            session = JsonSerializer.Deserialize(text, SessionJson.Default.ProtonSession);
        }
        catch (JsonException)
        {
            throw new ProviderException($"the stored Proton session in {credentials.Description} is damaged; log in again with `tunmux proton login <username>`");
        }
        if (session is null) return null;
        RegisterSecrets(session);
        return session;
    }

    public async Task<ProtonSession> RequireAsync(CancellationToken ct) =>
        await LoadAsync(ct).ConfigureAwait(false)
        ?? throw new ProviderException("not logged in to Proton; run `tunmux proton login <username>` first");

    public Task SaveAsync(ProtonSession session, CancellationToken ct)
    {
        RegisterSecrets(session);
        return credentials.SetAsync(Item, JsonSerializer.Serialize(session, SessionJson.Default.ProtonSession), ct);
    }

    public Task<bool> DeleteAsync(CancellationToken ct) => credentials.DeleteAsync(Item, ct);

    private void RegisterSecrets(ProtonSession s)
    {
        foreach (var secret in new[] { s.AccessToken, s.RefreshToken, s.Ed25519PrivateKey })
            if (!string.IsNullOrEmpty(secret)) log.RegisterSecret(secret);
    }
}
