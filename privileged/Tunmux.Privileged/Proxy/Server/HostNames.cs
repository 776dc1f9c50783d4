namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// The host names the proxies pass to the resolver: letters, digits, '-', '_' and dots, labels of 1 to 63,
/// at most 253 in all. Anything else (control characters, spaces, bytes past ASCII) is refused before any
/// lookup and answered as an unreachable host; such names never reach the resolver or a log as they are.
/// </summary>
internal static class HostNames
{
    public const int MaxLength = 253;

    public static bool IsValid(ReadOnlySpan<char> host)
    {
        if (host.Length is 0 or > MaxLength) return false;
        if (host[^1] == '.') host = host[..^1];
        var label = 0;
        foreach (var c in host)
        {
            if (c == '.')
            {
                if (label == 0) return false;
                label = 0;
                continue;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || ++label > 63) return false;
        }
        return label > 0;
    }

    public static bool IsValid(ReadOnlySpan<byte> ascii)
    {
        Span<char> chars = stackalloc char[Math.Min(ascii.Length, MaxLength + 1)];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)ascii[i];
        return ascii.Length <= MaxLength && IsValid(chars);
    }
}
