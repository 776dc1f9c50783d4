using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Auth;

namespace Tunmux.Plugins.Proton.Verbs;

/// <summary>One row of <c>certificates</c>.</summary>
/// <param name="Name">The device name the certificate was issued for.</param>
/// <param name="Serial">Its serial number (what <c>certificates revoke</c> takes).</param>
/// <param name="ExpiresAt">When it lapses.</param>
/// <param name="ThisDevice">True for the certificate of this device's key.</param>
public sealed record CertificateRow(string Name, string Serial, DateTimeOffset ExpiresAt, bool ThisDevice);

/// <summary>
/// <c>certificates [--json]</c> lists the account's persistent certificates (every device's WireGuard
/// configuration); <c>certificates revoke SERIAL</c> revokes one, as the web client's revoke button does.
/// </summary>
internal sealed class CertificatesVerb(ProtonProvider provider)
{
    public async Task<int> RunAsync(object options, CancellationToken ct) => options switch
    {
        Cli.CertificatesList list => await ListAsync(list.Json, ct).ConfigureAwait(false),
        Cli.CertificatesRevoke revoke => await RevokeAsync(revoke.Serial, ct).ConfigureAwait(false),
        _ => throw new ProviderException("proton certificates: use `tunmux proton certificates` or `tunmux proton certificates revoke SERIAL`"),
    };

    private async Task<int> ListAsync(bool json, CancellationToken ct)
    {
        var session = await provider.RequireSessionAsync(ct).ConfigureAwait(false);
        var api = provider.Api(session);
        var listed = await provider.Certificates(api).ListAsync(ct).ConfigureAwait(false);
        var ownKey = Normalize(ProtonProvider.KeysOf(session).Ed25519PublicKeyPem());
        var rows = listed
            .Select(c => new CertificateRow(
                c.DeviceName is { Length: > 0 } n ? n : "(unnamed)",
                c.SerialNumber ?? "",
                DateTimeOffset.FromUnixTimeSeconds(Math.Max(0, c.ExpirationTime)),
                (c.SerialNumber is { Length: > 0 } s && s == session.Certificate?.SerialNumber) || (c.ClientKey is { } k && Normalize(k) == ownKey)))
            .OrderByDescending(r => r.ThisDevice).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.ExpiresAt)
            .ToList();

        var console = provider.Context.Console;
        if (json)
        {
            console.WriteJson(rows);
            return 0;
        }
        if (rows.Count == 0)
        {
            console.Out.WriteLine("The account has no persistent WireGuard certificates.");
            return 0;
        }
        console.WriteTable(["NAME", "SERIAL", "EXPIRES", "THIS DEVICE"], rows.Select(r => (IReadOnlyList<string>)
            [r.Name, r.Serial, r.ExpiresAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z", r.ThisDevice ? "yes" : ""]));
        return 0;
    }

    private async Task<int> RevokeAsync(string? serial, CancellationToken ct)
    {
        serial = serial?.Trim();
        if (string.IsNullOrEmpty(serial))
            throw new ProviderException("give the serial number to revoke: `tunmux proton certificates revoke SERIAL` (see `tunmux proton certificates`)");
        if (serial.Length > 128 || !serial.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or ':'))
            throw new ProviderException($"'{serial}' is not a certificate serial number; copy one from `tunmux proton certificates`");

        var session = await provider.RequireSessionAsync(ct).ConfigureAwait(false);
        var api = provider.Api(session);
        var count = await provider.Certificates(api).RevokeAsync(serial, ct).ConfigureAwait(false);
        if (count == 0)
            throw new ProviderException($"no certificate with serial {serial} on the account (already revoked?); list them with `tunmux proton certificates`");

        var out_ = provider.Context.Console.Out;
        if (session.Certificate?.SerialNumber == serial)
        {
            // The key stays; the next connect asks for a new certificate for it.
            session.Certificate = Forgotten(session.Certificate);
            await provider.SaveSessionAsync(session, ct).ConfigureAwait(false);
            out_.WriteLine($"Revoked certificate {serial}, this device's; the next connect asks for a new one");
        }
        else
        {
            out_.WriteLine($"Revoked certificate {serial}");
        }
        return 0;
    }

    /// <summary>A revoked certificate is kept only for its name and features (no serial, expired), so a new one is issued alike.</summary>
    private static StoredCertificate Forgotten(StoredCertificate old) => new() { DeviceName = old.DeviceName, Features = old.Features, Mode = old.Mode };

    private static string Normalize(string pem) =>
        string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
}
