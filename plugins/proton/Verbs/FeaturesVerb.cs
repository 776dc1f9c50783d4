using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Keys;

namespace Tunmux.Plugins.Proton.Verbs;

/// <summary>What <c>features --json</c> prints.</summary>
public sealed record FeaturesView(int Netshield, bool PortForward, bool ModerateNat, bool VpnAccelerator, DateTimeOffset? CertificateExpiresAt);

/// <summary>
/// <c>features [--netshield 0|1|2] [--port-forward on|off] [--moderate-nat on|off] [--vpn-accelerator on|off]</c>:
/// shows this device's certificate features, or changes them by renewing the certificate with the new
/// set (features travel in the certificate, as in Proton's web client, so they are per device).
/// </summary>
internal sealed class FeaturesVerb(ProtonProvider provider)
{
    public async Task<int> RunAsync(Cli.FeaturesOptions invocation, CancellationToken ct)
    {
        var session = await provider.RequireSessionAsync(ct).ConfigureAwait(false);
        var current = session.Certificate?.Features ?? DeviceFeatures.Default(session.MaxTier);
        var wanted = current.With(invocation.NetShield, invocation.PortForward, invocation.ModerateNat, invocation.VpnAccelerator);
        var console = provider.Context.Console;

        if (wanted != current)
        {
            var api = provider.Api(session);
            var keys = ProtonProvider.KeysOf(session);
            session.Certificate = await provider.Certificates(api).IssueAsync(session, keys, provider.DeviceName(), wanted, ct).ConfigureAwait(false);
            await provider.SaveSessionAsync(session, ct).ConfigureAwait(false);
            if (!invocation.Json)
                console.Out.WriteLine($"Certificate renewed with the new features (valid until {session.Certificate.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}); exits already up use them after a reconnect");
        }

        var features = session.Certificate?.Features ?? wanted;
        if (invocation.Json)
        {
            console.WriteJson(new FeaturesView(features.NetShield, features.PortForwarding, features.ModerateNat, features.VpnAccelerator,
                session.Certificate?.SerialNumber is null ? null : session.Certificate.ExpiresAt));
            return 0;
        }
        console.WriteTable(["FEATURE", "VALUE"], features.Describe().Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value]));
        return 0;
    }
}
