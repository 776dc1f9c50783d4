using System.Security.Cryptography;
using System.Text;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;
using Tunmux.Plugins.Proton.Srp;

namespace Tunmux.Plugins.Proton.Auth;

/// <summary>How the second factor is obtained when the account asks for one.</summary>
/// <param name="Code">From <c>--totp</c>.</param>
/// <param name="SecretFile">From <c>--totp-secret-file</c>.</param>
public sealed record SecondFactor(string? Code, string? SecretFile);

/// <summary>
/// SRP login: <c>/auth/v4/info</c>, proofs over the verified modulus, <c>/auth/v4</c>, the
/// server's proof checked, then <c>/auth/v4/2fa</c> when the account uses TOTP.
/// On success the client holds the new tokens.
/// A login answered 9001 (human verification) is retried with the solved token in
/// <c>x-pm-human-verification-token(-type)</c>, the way WebClients' API wrapper retries the same
/// call after its verification modal (packages/components/containers/api/ApiProvider, <c>onVerify</c>).
/// </summary>
public sealed class LoginFlow(ProtonApiClient api, IProviderContext context)
{
    /// <summary>Verifications a person may be asked in one login before tunmux gives up.</summary>
    private const int MaxVerifications = 3;

    /// <param name="username">The account.</param>
    /// <param name="password">Its password.</param>
    /// <param name="secondFactor">Where a TOTP code comes from.</param>
    /// <param name="verification">A token solved earlier (<c>--hv-token</c>), sent from the first request on.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<ApiTokens> RunAsync(string username, string password, SecondFactor secondFactor, HumanVerificationToken? verification, CancellationToken ct)
    {
        api.HumanVerification = verification;
        try
        {
            for (var asked = 0; ; asked++)
            {
                try
                {
                    return await AttemptAsync(username, password, secondFactor, ct).ConfigureAwait(false);
                }
                catch (HumanVerificationRequiredException ex)
                {
                    if (!context.Console.IsInteractive || asked >= MaxVerifications)
                        throw new ProviderException(Unattended(username, ex, tokenRefused: api.HumanVerification is not null), ex);
                    api.HumanVerification = AskPerson(ex, tokenRefused: api.HumanVerification is not null);
                }
            }
        }
        finally
        {
            api.HumanVerification = null;
        }
    }

    /// <summary>The line for a login without a terminal: the address to open and the command that finishes the login.</summary>
    private static string Unattended(string username, HumanVerificationRequiredException ex, bool tokenRefused)
    {
        var type = TypeOf(ex);
        var typeFlag = type == "captcha" ? "" : $" --hv-type {type}";
        var what = tokenRefused
            ? "Proton did not accept the human verification token (not solved, or expired)"
            : "Proton asks for human verification (CAPTCHA) before this login";
        return $"{what}: open {ex.VerificationUrl} in a browser, solve it, then run `tunmux proton login {username} --hv-token {ex.Token}{typeFlag}`";
    }

    /// <summary>Shows the address, waits until the person solved it, and returns the token to send.</summary>
    private HumanVerificationToken AskPerson(HumanVerificationRequiredException ex, bool tokenRefused)
    {
        var error = context.Console.Error;
        error.WriteLine(tokenRefused
            ? "Proton did not accept the verification (not solved yet?). Solve it at this address:"
            : "Proton asks for human verification before this login. Open this address in a browser and solve it:");
        error.WriteLine($"  {ex.VerificationUrl}");
        if (context.Console.Prompt("Press Enter once it is solved (Ctrl-D cancels): ") is null)
            throw new ProviderException("human verification not completed; login cancelled");
        return new HumanVerificationToken(TypeOf(ex), ex.Token);
    }

    /// <summary>The method named in the headers: captcha when offered (the one a terminal user can do), else the first.</summary>
    private static string TypeOf(HumanVerificationRequiredException ex) =>
        ex.Methods.Contains("captcha") ? "captcha" : ex.Methods[0];

    private async Task<ApiTokens> AttemptAsync(string username, string password, SecondFactor secondFactor, CancellationToken ct)
    {
        api.Tokens = null;
        var info = await api.PostAsync("/auth/v4/info", new AuthInfoRequest { Username = username },
            ApiJson.Default.AuthInfoRequest, ApiJson.Default.AuthInfoResponse, ct).ConfigureAwait(false);

        SrpProofs proofs;
        try
        {
            var modulus = ModulusVerifier.ReadSignedModulus(info.Modulus);
            var salt = info.Version >= 3 ? Convert.FromBase64String(info.Salt ?? "") : [];
            var passwordBytes = Encoding.UTF8.GetBytes(password);
            byte[] hashed;
            try
            {
                hashed = PasswordHasher.Hash(info.Version, passwordBytes, username, salt, modulus);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(passwordBytes);
            }
            proofs = SrpClient.GenerateProofs(modulus, Convert.FromBase64String(info.ServerEphemeral), hashed);
            CryptographicOperations.ZeroMemory(hashed);
        }
        catch (SrpException ex)
        {
            throw new ProviderException($"Proton login refused for safety: {ex.Message}; check api_url", ex);
        }
        catch (FormatException ex)
        {
            throw new ProviderException("Proton login failed: the server sent malformed SRP parameters; check api_url", ex);
        }

        AuthResponse auth;
        try
        {
            auth = await api.PostAsync("/auth/v4", new AuthRequest
            {
                Username = username,
                ClientEphemeral = Convert.ToBase64String(proofs.ClientEphemeral),
                ClientProof = Convert.ToBase64String(proofs.ClientProof),
                SrpSession = info.SrpSession,
            }, ApiJson.Default.AuthRequest, ApiJson.Default.AuthResponse, ct).ConfigureAwait(false);
        }
        catch (ProtonApiException ex) when (ex.Code == ProtonErrors.WrongCredentials)
        {
            throw new ProviderException($"Proton login failed: wrong user name or password for '{username}'", ex);
        }

        context.Log.RegisterSecret(auth.AccessToken);
        context.Log.RegisterSecret(auth.RefreshToken);
        var expected = proofs.ExpectedServerProof;
        var received = TryBase64(auth.ServerProof);
        if (received is null || !CryptographicOperations.FixedTimeEquals(expected, received))
            throw new ProviderException("Proton login refused for safety: the server's SRP proof is wrong (it does not know the password); check api_url");

        api.Tokens = new ApiTokens(auth.Uid, auth.AccessToken, auth.RefreshToken);
        try
        {
            await SecondFactorAsync(auth.TwoFactor, secondFactor, ct).ConfigureAwait(false);
        }
        catch
        {
            await RevokeQuietlyAsync().ConfigureAwait(false);
            throw;
        }
        return api.Tokens;
    }

    private async Task SecondFactorAsync(TwoFactorInfo? twoFactor, SecondFactor source, CancellationToken ct)
    {
        if (twoFactor is null || twoFactor.Enabled == 0) return;
        var totp = twoFactor.Totp != 0 || (twoFactor.Enabled & 1) != 0;
        if (!totp)
            throw new ProviderException("this Proton account requires a security key (FIDO2) as second factor, which tunmux does not support; enable TOTP in the account");

        var code = source.Code;
        if (code is null && source.SecretFile is { } file) code = Common.SecondFactorCode.FromSecretFile(file, context.Log);
        if (code is null)
        {
            if (!context.Console.IsInteractive)
                throw new ProviderException("this Proton account needs a two-factor code; pass --totp CODE or --totp-secret-file FILE");
            code = context.Console.Prompt("Two-factor code: ");
        }
        code = code?.Trim();
        if (string.IsNullOrEmpty(code)) throw new ProviderException("no two-factor code given; login cancelled");

        try
        {
            await api.PostAsync("/auth/v4/2fa", new TwoFactorRequest { TwoFactorCode = code },
                ApiJson.Default.TwoFactorRequest, ApiJson.Default.TwoFactorResponse, ct).ConfigureAwait(false);
        }
        catch (ProtonApiException ex) when (ex.Code is ProtonErrors.WrongCredentials or 8003 or 8004 || ex.HttpStatus is 401 or 422)
        {
            throw new ProviderException("Proton refused the two-factor code; check the code (or the clock, for --totp-secret-file) and log in again", ex);
        }
    }

    private async Task RevokeQuietlyAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await api.DeleteAsync("/auth/v4", cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or OperationCanceledException)
        {
            context.Log.Debug("Could not revoke the unfinished Proton session: {Error}", ex.Message);
        }
        api.Tokens = null;
    }

    private static byte[]? TryBase64(string text)
    {
        try { return Convert.FromBase64String(text); }
        catch (FormatException) { return null; }
    }
}
