using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Contracts;
using Tunmux.Plugins.Mullvad.Api;

namespace Tunmux.Plugins.Mullvad.Account;

/// <summary>
/// What a login leaves: the account number (the credential), this device as Mullvad registered
/// it (id, name, the addresses it gave the key), the WireGuard private key and the current access
/// token. Secret as a whole; kept only in the host's credential store.
/// </summary>
internal sealed class MullvadSession
{
    public string AccountNumber { get; set; } = "";
    public string? AccountId { get; set; }
    public DateTimeOffset? Expiry { get; set; }
    public int? MaxDevices { get; set; }
    public DateTimeOffset? AccountCheckedAt { get; set; }

    public string DeviceId { get; set; } = "";
    public string DeviceName { get; set; } = "";
    public DateTimeOffset? DeviceCreated { get; set; }
    public DateTimeOffset? DeviceCheckedAt { get; set; }

    public string PrivateKey { get; set; } = "";
    public string PublicKey { get; set; } = "";
    public string Ipv4Address { get; set; } = "";
    public string? Ipv6Address { get; set; }

    public string? AccessToken { get; set; }
    public DateTimeOffset? AccessTokenExpiry { get; set; }

    [JsonIgnore]
    public AccessToken? Token
    {
        get => AccessToken is { Length: > 0 } t && AccessTokenExpiry is { } e ? new AccessToken(t, e) : null;
        set
        {
            AccessToken = value?.Value;
            AccessTokenExpiry = value?.Expiry;
        }
    }

    public void ApplyAccount(AccountAnswer account, DateTimeOffset now)
    {
        AccountId = account.Id;
        Expiry = account.Expiry;
        MaxDevices = account.MaxDevices ?? MaxDevices;
        AccountCheckedAt = now;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MullvadSession))]
internal sealed partial class SessionJson : JsonSerializerContext;

/// <summary>The session in the host's credential store (file or keyring, as the user chose), never a file of its own.</summary>
internal sealed class SessionStore(ICredentialStore credentials, IPluginLogger log)
{
    public const string Item = "session.json";

    public async Task<MullvadSession?> LoadAsync(CancellationToken ct)
    {
        var text = await credentials.GetAsync(Item, ct).ConfigureAwait(false);
        if (text is null) return null;
        MullvadSession? session;
        try
        {
            session = JsonSerializer.Deserialize(text, SessionJson.Default.MullvadSession);
        }
        catch (JsonException)
        {
            throw new ProviderException($"the stored Mullvad session in {credentials.Description} is damaged; log in again with `tunmux mullvad login`");
        }
        if (session is null || session.AccountNumber.Length == 0 || session.PrivateKey.Length == 0)
            throw new ProviderException($"the stored Mullvad session in {credentials.Description} is incomplete; log in again with `tunmux mullvad login`");
        RegisterSecrets(session);
        return session;
    }

    public async Task<MullvadSession> RequireAsync(CancellationToken ct) =>
        await LoadAsync(ct).ConfigureAwait(false)
        ?? throw new ProviderException("not logged in to Mullvad; run `tunmux mullvad login` (or `tunmux mullvad create-account`) first");

    public Task SaveAsync(MullvadSession session, CancellationToken ct)
    {
        RegisterSecrets(session);
        return credentials.SetAsync(Item, JsonSerializer.Serialize(session, SessionJson.Default.MullvadSession), ct);
    }

    public Task<bool> DeleteAsync(CancellationToken ct) => credentials.DeleteAsync(Item, ct);

    private void RegisterSecrets(MullvadSession s)
    {
        foreach (var secret in new[] { s.AccountNumber, s.PrivateKey, s.AccessToken })
            if (!string.IsNullOrEmpty(secret)) log.RegisterSecret(secret);
    }
}
