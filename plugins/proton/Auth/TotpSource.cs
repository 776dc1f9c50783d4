using OtpNet;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Auth;

/// <summary>Where the 2FA code comes from: <c>--totp</c>, <c>--totp-secret-file</c>, or a prompt.</summary>
public static class TotpSource
{
    /// <summary>Generates the current code from a file holding a base32 secret or an <c>otpauth://</c> URI.</summary>
    public static string FromSecretFile(string path, IPluginLogger log, DateTime? now = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProviderException($"cannot read the TOTP secret file {path}: {ex.Message}");
        }

        var secret = text;
        if (text.StartsWith("otpauth://", StringComparison.OrdinalIgnoreCase))
        {
            var query = text.IndexOf('?') is var q and >= 0 ? text[(q + 1)..] : "";
            secret = query.Split('&').Select(p => p.Split('=', 2)).Where(p => p.Length == 2 && p[0].Equals("secret", StringComparison.OrdinalIgnoreCase))
                .Select(p => Uri.UnescapeDataString(p[1])).FirstOrDefault() ?? "";
        }
        secret = secret.Replace(" ", "").Replace("-", "").TrimEnd('=').ToUpperInvariant();
        if (secret.Length == 0) throw new ProviderException($"the TOTP secret file {path} holds no secret");
        log.RegisterSecret(secret);

        byte[] key;
        try
        {
            key = Base32Encoding.ToBytes(secret);
        }
        catch (ArgumentException)
        {
            throw new ProviderException($"the TOTP secret in {path} is not base32");
        }
        return new Totp(key).ComputeTotp(now ?? DateTime.UtcNow);
    }
}
