using System.Security.Cryptography;
using System.Text;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>
/// The SRP private value x per auth version, as Proton defines it:
/// versions 3 and 4 bcrypt the password with the account salt plus <c>"proton"</c>;
/// 0..2 are legacy schemes salted with the user name.
/// </summary>
public static class PasswordHasher
{
    /// <summary>Hashes <paramref name="password"/> for <paramref name="version"/>; <paramref name="modulus"/> is little-endian.</summary>
    public static byte[] Hash(int version, byte[] password, string username, byte[] salt, byte[] modulus) => version switch
    {
        3 or 4 => Version3(password, salt, modulus),
        2 => Version1(password, CleanUserName(username), modulus),
        1 => Version1(password, username, modulus),
        0 => Version0(password, username, modulus),
        _ => throw new SrpException($"auth version {version} is not supported"),
    };

    private static byte[] Version3(byte[] password, byte[] salt, byte[] modulus)
    {
        var encodedSalt = ProtonBcrypt.Encode([.. salt, .. "proton"u8]);
        return ExpandHash.Compute(ProtonBcrypt.Hash(password, encodedSalt), modulus);
    }

    private static byte[] Version1(byte[] password, string username, byte[] modulus)
    {
        var salt = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(username.ToLowerInvariant())));
        return ExpandHash.Compute(ProtonBcrypt.Hash(password, salt), modulus);
    }

    private static byte[] Version0(byte[] password, string username, byte[] modulus)
    {
        byte[] userAndPassword = [.. Encoding.UTF8.GetBytes(username.ToLowerInvariant()), .. password];
        var prehashed = SHA512.HashData(userAndPassword);
        var encoded = Encoding.ASCII.GetBytes(Convert.ToBase64String(prehashed));
        try
        {
            return Version1(encoded, username, modulus);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(userAndPassword);
            CryptographicOperations.ZeroMemory(prehashed);
            CryptographicOperations.ZeroMemory(encoded);
        }
    }

    private static string CleanUserName(string username) =>
        username.Replace("-", "").Replace(".", "").Replace("_", "").ToLowerInvariant();
}
