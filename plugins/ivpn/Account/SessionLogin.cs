using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Api;

namespace Tunmux.Plugins.Ivpn.Account;

internal sealed record IvpnLoginOutcome(IvpnSession Session, bool AlreadyLoggedIn, bool ForcedOthersOut);

/// <summary>
/// Logs in the way IVPN's daemon does (daemon/service/service.go SessionNew): a WireGuard key made
/// here goes with the account ID to <c>v4/session/new</c>; IVPN answers with the session token and
/// the key's tunnel address. A second factor (70011) is answered with a code and the request sent
/// again (<c>confirmation</c>); at the session limit (602) it stops unless told to log the account's
/// other sessions out (<c>force</c>).
/// </summary>
internal sealed class SessionLogin(IvpnApi api, SessionStore sessions, IProviderContext context, TimeProvider time)
{
    public async Task<IvpnLoginOutcome> RunAsync(string accountId, bool force, string? totp, string? totpSecretFile, CancellationToken ct)
    {
        var previous = await sessions.LoadQuietlyAsync(ct).ConfigureAwait(false);
        if (previous is not null)
        {
            if (previous.AccountId == accountId && await StillValidAsync(previous, ct).ConfigureAwait(false))
                return new IvpnLoginOutcome(previous, AlreadyLoggedIn: true, ForcedOthersOut: false);
            await EndPreviousAsync(previous, ct).ConfigureAwait(false);
        }

        var keys = WireGuardKeys.Generate();
        context.Log.RegisterSecret(keys.PrivateKeyBase64);
        SessionNewAnswer answer;
        try
        {
            answer = await api.NewSessionAsync(accountId, keys.PublicKeyBase64, force, null, ct).ConfigureAwait(false);
        }
        catch (IvpnApiException ex) when (ex.Status == IvpnErrors.SecondFactorRequired)
        {
            var code = SecondFactorCode.Get(totp, totpSecretFile, context.Console, context.Log, "IVPN")
                ?? throw new ProviderException(ex.Message, ex);
            answer = await api.NewSessionAsync(accountId, keys.PublicKeyBase64, force, code, ct).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var session = new IvpnSession
        {
            AccountId = accountId,
            SessionToken = answer.Token!,
            DeviceName = answer.DeviceName,
            PrivateKey = keys.PrivateKeyBase64,
            PublicKey = keys.PublicKeyBase64,
            KeyCreated = now,
            TunnelAddress = answer.Wireguard!.IpAddress!,
        };
        session.Apply(answer.ServiceStatus, now);
        await sessions.SaveAsync(session, ct).ConfigureAwait(false);
        return new IvpnLoginOutcome(session, AlreadyLoggedIn: false, ForcedOthersOut: force);
    }


    private async Task<bool> StillValidAsync(IvpnSession session, CancellationToken ct)
    {
        try
        {
            var status = await api.SessionStatusAsync(session.SessionToken, ct).ConfigureAwait(false);
            session.Apply(status.ServiceStatus, time.GetUtcNow());
            await sessions.SaveAsync(session, ct).ConfigureAwait(false);
            return true;
        }
        catch (IvpnApiException ex) when (ex.Status == IvpnErrors.SessionNotFound)
        {
            context.Log.Information("The IVPN session had ended; starting a new one");
            return false;
        }
    }

    /// <summary>Logging in to another account first ends this machine's session on the old one.</summary>
    private async Task EndPreviousAsync(IvpnSession previous, CancellationToken ct)
    {
        try
        {
            await api.DeleteSessionAsync(previous.SessionToken, ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            context.Log.Debug("Could not end the previous IVPN session: {Error}", ex.Message);
        }
        await sessions.DeleteAsync(ct).ConfigureAwait(false);
    }
}
