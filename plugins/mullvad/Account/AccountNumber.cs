using Tunmux.Contracts;

namespace Tunmux.Plugins.Mullvad.Account;

/// <summary>Mullvad account numbers: 16 digits, often written in groups of four.</summary>
internal static class AccountNumber
{
    public static string Normalize(string text)
    {
        var digits = string.Concat(text.Where(c => c is not (' ' or '-' or '\t' or '\r' or '\n')));
        if (digits.Length != 16 || !digits.All(char.IsAsciiDigit))
            throw new ProviderException("a Mullvad account number has 16 digits (spaces allowed); check it and try again");
        return digits;
    }

    /// <summary>The number as shown to the user: all but the last four digits hidden.</summary>
    public static string Masked(string number) =>
        number.Length < 4 ? "****" : $"**** **** **** {number[^4..]}";
}
