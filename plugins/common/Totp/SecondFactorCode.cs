using OtpNet;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// The code of an account's second factor: given (<c>--totp CODE</c>), computed from a secret
/// file (<c>--totp-secret-file</c>: base32 or an <c>otpauth://</c> URI, RFC 6238, 30 s, 6 digits),
/// or asked for at the terminal.
/// </summary>
internal static class SecondFactorCode
{
    public static string? Get(string? code, string? secretFile, IConsoleIO console, IPluginLogger log, string provider)
    {
        if (code is { Length: > 0 })
        {
            log.RegisterSecret(code);
            return code.Trim();
        }
        if (secretFile is { Length: > 0 }) return FromSecretFile(secretFile, log);
        if (!console.IsInteractive) return null;
        var typed = console.PromptSecret($"{provider} two-factor code: ")?.Trim();
        if (string.IsNullOrEmpty(typed)) throw new ProviderException("no two-factor code given; login cancelled");
        log.RegisterSecret(typed);
        return typed;
    }

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
        try
        {
            var value = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(now ?? DateTime.UtcNow);
            log.RegisterSecret(value);
            return value;
        }
        catch (ArgumentException)
        {
            throw new ProviderException($"the TOTP secret in {path} is not base32");
        }
    }
}
