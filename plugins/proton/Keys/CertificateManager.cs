using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Auth;

namespace Tunmux.Plugins.Proton.Keys;

/// <summary>
/// The device key's persistent certificate, as Proton's web client manages it (WebClients,
/// packages/components/containers/vpn/WireGuardConfigurationSection and its api.ts):
/// <c>POST vpn/v1/certificate</c> registers the key (persistent mode, named device, features) and,
/// with <c>Renew: true</c>, extends the certificate of the same key before it lapses;
/// <c>GET vpn/v1/certificate/all</c> lists the account's certificates; <c>DELETE vpn/v1/certificate</c>
/// with a <c>SerialNumber</c> revokes one. Proton's servers only accept WireGuard handshakes from keys
/// with a valid certificate.
/// </summary>
public sealed class CertificateManager(ProtonApiClient api, IPluginLogger log, TimeProvider time)
{
    public const string Path = "/vpn/v1/certificate";
    public const string ListPath = "/vpn/v1/certificate/all";

    /// <summary>Page size of the listing (WebClients pages by 50).</summary>
    public const int PageSize = 50;

    /// <summary>Renew this long before expiry even when Proton's refresh time is later.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(1);

    /// <summary>Asks for a certificate for the key; <paramref name="renew"/> extends the one the key already has.</summary>
    public async Task<StoredCertificate> RequestAsync(VpnKeys keys, string deviceName, DeviceFeatures features, bool renew, CancellationToken ct)
    {
        var request = new CertificateRequest
        {
            ClientPublicKey = keys.Ed25519PublicKeyPem(),
            DeviceName = deviceName,
            Mode = "persistent",
            Features = features.ToWire(),
            Renew = renew ? true : null,
        };
        var answer = await api.PostAsync(Path, request, ApiJson.Default.CertificateRequest, ApiJson.Default.CertificateResponse, ct).ConfigureAwait(false);
        if (answer.ExpirationTime <= 0)
            throw new ProviderException("the Proton API returned a certificate without an expiry; try again later");
        log.Debug("Proton certificate {Serial} valid until {Expiry}", answer.SerialNumber, DateTimeOffset.FromUnixTimeSeconds(answer.ExpirationTime));
        return new StoredCertificate
        {
            SerialNumber = answer.SerialNumber,
            ExpirationTime = answer.ExpirationTime,
            RefreshTime = answer.RefreshTime > 0 ? answer.RefreshTime : answer.ExpirationTime - (long)RenewBefore.TotalSeconds,
            DeviceName = answer.DeviceName is { Length: > 0 } name ? name : deviceName,
            Mode = answer.Mode ?? "persistent",
            Features = features,
        };
    }

    /// <summary>
    /// The certificate for <paramref name="features"/>: a renewal of the key's certificate when it has
    /// one (so the account keeps one configuration per device), a new one otherwise, or when Proton no
    /// longer knows the old one (revoked elsewhere).
    /// </summary>
    public async Task<StoredCertificate> IssueAsync(ProtonSession session, VpnKeys keys, string deviceName, DeviceFeatures features, CancellationToken ct)
    {
        var name = session.Certificate?.DeviceName ?? deviceName;
        if (session.Certificate?.SerialNumber is null) return await RequestAsync(keys, name, features, renew: false, ct).ConfigureAwait(false);
        try
        {
            return await RequestAsync(keys, name, features, renew: true, ct).ConfigureAwait(false);
        }
        catch (ProtonApiException ex) when (ex.HttpStatus is 404 or 422 && ex is not HumanVerificationRequiredException)
        {
            log.Debug("Proton would not renew the certificate ({Error}); asking for a new one", ex.Message);
            return await RequestAsync(keys, name, features, renew: false, ct).ConfigureAwait(false);
        }
    }

    public bool NeedsRenewal(StoredCertificate? cert)
    {
        var now = time.GetUtcNow();
        return cert is null || now >= cert.RefreshAt || now >= cert.ExpiresAt - RenewBefore;
    }

    /// <summary>When the certificate should be renewed: Proton's refresh time, at the latest a day before expiry.</summary>
    public static DateTimeOffset RenewalDue(StoredCertificate cert) =>
        cert.RefreshAt < cert.ExpiresAt - RenewBefore ? cert.RefreshAt : cert.ExpiresAt - RenewBefore;

    /// <summary>
    /// Renews when due. Returns true when the session changed. A failed renewal is only an error when
    /// the current certificate has already expired.
    /// </summary>
    public async Task<bool> EnsureFreshAsync(ProtonSession session, VpnKeys keys, string deviceName, CancellationToken ct)
    {
        if (!NeedsRenewal(session.Certificate)) return false;
        var features = session.Certificate?.Features ?? DeviceFeatures.Default(session.MaxTier);
        try
        {
            session.Certificate = await IssueAsync(session, keys, deviceName, features, ct).ConfigureAwait(false);
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

    /// <summary>The account's persistent certificates, every page.</summary>
    public async Task<IReadOnlyList<CertificateResponse>> ListAsync(CancellationToken ct)
    {
        var all = new List<CertificateResponse>();
        for (var offset = 0; ; offset += PageSize)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{ListPath}?Mode=persistent&Offset={offset}&Limit={PageSize}");
            var page = await api.GetAsync(path, ApiJson.Default.CertificateListResponse, ct).ConfigureAwait(false);
            all.AddRange(page.Certificates);
            // A short page is the last; the cap stops a server that never ends the listing.
            if (page.Certificates.Count < PageSize || all.Count >= 100 * PageSize) return all;
        }
    }

    /// <summary>Revokes the certificate with this serial number; returns how many Proton revoked (0: unknown or already revoked).</summary>
    public async Task<int> RevokeAsync(string serialNumber, CancellationToken ct)
    {
        var answer = await api.DeleteAsync(Path, new CertificateDeletionRequest { SerialNumber = serialNumber },
            ApiJson.Default.CertificateDeletionRequest, ApiJson.Default.CertificateDeletionResponse, ct).ConfigureAwait(false);
        return answer.Count;
    }
}
