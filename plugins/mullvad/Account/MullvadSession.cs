using System.Text.Json.Serialization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
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

    /// <summary>When the current key was registered (the device's creation until the first rotation).</summary>
    public DateTimeOffset? KeyCreated { get; set; }

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

/// <summary>The session in the host's credential store.</summary>
internal sealed class SessionStore(ICredentialStore credentials, IPluginLogger log)
    : SecretItem<MullvadSession>(credentials, log, SessionJson.Default.MullvadSession, "Mullvad", "tunmux mullvad login")
{
    protected override bool IsComplete(MullvadSession s) => s.AccountNumber.Length > 0 && s.PrivateKey.Length > 0 && s.DeviceId.Length > 0;

    protected override IEnumerable<string?> Secrets(MullvadSession s) => [s.AccountNumber, s.PrivateKey, s.AccessToken];
}
