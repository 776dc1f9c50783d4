using System.Text.RegularExpressions;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Ivpn.Account;

/// <summary>IVPN account IDs: <c>i-XXXX-XXXX-XXXX</c>, or the older <c>ivpnXXXXXXXX</c>.</summary>
internal static partial class AccountId
{
    public static string Normalize(string text)
    {
        var t = text.Trim();
        if (NewForm().Match(t) is { Success: true } m) return $"i-{m.Groups[1].Value}-{m.Groups[2].Value}-{m.Groups[3].Value}".ToUpperInvariant().Replace("I-", "i-");
        if (OldForm().IsMatch(t)) return t.ToLowerInvariant();
        throw new ProviderException("an IVPN account ID looks like i-XXXX-XXXX-XXXX (or ivpnXXXXXXXX for older accounts); check it and try again");
    }

    /// <summary>The ID as shown to the user: only the last group visible.</summary>
    public static string Masked(string id) => id.Length < 4 ? "****" : id.StartsWith("i-", StringComparison.Ordinal) ? $"i-****-****-{id[^4..]}" : $"ivpn****{id[^4..]}";

    [GeneratedRegex("^i-([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})$", RegexOptions.IgnoreCase)]
    private static partial Regex NewForm();

    [GeneratedRegex("^ivpn[A-Za-z0-9]{8}$", RegexOptions.IgnoreCase)]
    private static partial Regex OldForm();
}
