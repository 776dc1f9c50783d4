using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Auth;

namespace Tunmux.Plugins.Proton.Keys;

/// <summary>
/// Registers the client's public key with Proton (<c>POST /vpn/v1/certificate</c>, persistent mode,
/// named device) and renews the certificate before it lapses: Proton's servers only accept
/// WireGuard handshakes from keys with a valid certificate.
/// </summary>
public sealed class CertificateManager(ProtonApiClient api, IPluginLogger log, TimeProvider time)
{
    public const string Path = "/vpn/v1/certificate";

    /// <summary>Renew this long before expiry even when Proton's refresh time is later.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(1);

    public async Task<StoredCertificate> RequestAsync(VpnKeys keys, string deviceName, CancellationToken ct)
    {
        var request = new CertificateRequest { ClientPublicKey = keys.Ed25519PublicKeyPem(), DeviceName = deviceName, Mode = "persistent" };
        var answer = await api.PostAsync(Path, request, ApiJson.Default.CertificateRequest, ApiJson.Default.CertificateResponse, ct).ConfigureAwait(false);
        if (answer.ExpirationTime <= 0)
            throw new ProviderException("the Proton API returned a certificate without an expiry; try again later");
        log.Debug("Proton certificate {Serial} valid until {Expiry}", answer.SerialNumber, DateTimeOffset.FromUnixTimeSeconds(answer.ExpirationTime));
        return new StoredCertificate
        {
            SerialNumber = answer.SerialNumber,
            ExpirationTime = answer.ExpirationTime,
            RefreshTime = answer.RefreshTime > 0 ? answer.RefreshTime : answer.ExpirationTime - (long)RenewBefore.TotalSeconds,
            DeviceName = answer.DeviceName ?? deviceName,
            Mode = answer.Mode ?? "persistent",
        };
    }

    public bool NeedsRenewal(StoredCertificate? cert)
    {
        var now = time.GetUtcNow();
        return cert is null || now >= cert.RefreshAt || now >= cert.ExpiresAt - RenewBefore;
    }

    /// <summary>
    /// Renews when due. Returns true when the session changed. A failed renewal is only an error when
    /// the current certificate has already expired.
    /// </summary>
    public async Task<bool> EnsureFreshAsync(ProtonSession session, VpnKeys keys, string deviceName, CancellationToken ct)
    {
        if (!NeedsRenewal(session.Certificate)) return false;
        try
        {
            session.Certificate = await RequestAsync(keys, session.Certificate?.DeviceName ?? deviceName, ct).ConfigureAwait(false);
            return true;
        }
        catch (ProviderException ex) when (session.Certificate is { } old && time.GetUtcNow() < old.ExpiresAt)
        {
            log.Warning("Could not renew the Proton certificate (valid until {Expiry}): {Error}", old.ExpiresAt, ex.Message);
            return false;
        }
        catch (ProviderException ex)
        {
            throw new ProviderException($"the Proton certificate for this device has expired and could not be renewed: {ex.Message}", ex);
        }
    }
}
