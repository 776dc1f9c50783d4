namespace Tunmux.Host.Logging;

/// <summary>
/// Secrets known to this process (passwords, tokens, private keys). Every log line is passed
/// through <see cref="Mask"/> before it is written, so a secret that slips into a message or an
/// exception is still never printed.
/// </summary>
public static class SecretMask
{
    private static readonly object Gate = new();
    private static string[] _secrets = [];

    public static void Register(string? secret)
    {
        // Very short strings would mask ordinary words; nothing secret is that short.
        if (string.IsNullOrEmpty(secret) || secret.Length < 6) return;
        lock (Gate)
        {
            if (Array.IndexOf(_secrets, secret) >= 0) return;
            _secrets = [.. _secrets, secret];
        }
    }

    public static string Mask(string text)
    {
        var secrets = _secrets;
        foreach (var s in secrets)
            if (text.Contains(s, StringComparison.Ordinal)) text = text.Replace(s, "***", StringComparison.Ordinal);
        return text;
    }

    internal static void ClearForTests()
    {
        lock (Gate) _secrets = [];
    }
}
