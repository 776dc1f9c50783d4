using System.Text;
using Org.BouncyCastle.Crypto.Generators;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>
/// bcrypt as Proton's Go library computes it (<c>$2y$10$</c>): the first 22 characters of the
/// encoded salt are used verbatim in the output and decoded (ignoring trailing bits) to the
/// 16-byte salt; the password is NUL-terminated and only its first 72 bytes count.
/// </summary>
public static class ProtonBcrypt
{
    private const string Alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int Cost = 10;

    /// <summary>bcrypt's unpadded base64 variant.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder((data.Length * 8 + 5) / 6);
        var i = 0;
        while (i < data.Length)
        {
            var c1 = data[i++];
            sb.Append(Alphabet[c1 >> 2]);
            var bits = (c1 & 0x03) << 4;
            if (i >= data.Length) { sb.Append(Alphabet[bits]); break; }
            var c2 = data[i++];
            sb.Append(Alphabet[bits | (c2 >> 4)]);
            bits = (c2 & 0x0f) << 2;
            if (i >= data.Length) { sb.Append(Alphabet[bits]); break; }
            var c3 = data[i++];
            sb.Append(Alphabet[bits | (c3 >> 6)]);
            sb.Append(Alphabet[c3 & 0x3f]);
        }
        return sb.ToString();
    }

    /// <summary>Decodes bcrypt base64, ignoring bits that do not fill a byte.</summary>
    public static byte[] Decode(string text)
    {
        var output = new List<byte>(text.Length * 6 / 8);
        int acc = 0, bits = 0;
        foreach (var ch in text)
        {
            var v = Alphabet.IndexOf(ch);
            if (v < 0) throw new FormatException($"'{ch}' is not a bcrypt base64 character");
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output.Add((byte)(acc >> bits));
                acc &= (1 << bits) - 1;
            }
        }
        return [.. output];
    }

    /// <summary>Returns the 60-byte <c>$2y$10$...</c> string for a password and an encoded salt of at least 22 characters.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> password, string encodedSalt)
    {
        if (encodedSalt.Length < 22) throw new ArgumentException("bcrypt salt must have at least 22 characters", nameof(encodedSalt));
        var saltText = encodedSalt[..22];
        var salt = Decode(saltText)[..16];

        // NUL-terminated key; Blowfish's key schedule only ever reads the first 72 bytes.
        var keyLength = Math.Min(password.Length + 1, 72);
        var key = new byte[keyLength];
        password[..Math.Min(password.Length, keyLength)].CopyTo(key);
        try
        {
            var raw = BCrypt.Generate(key, salt, Cost, addTerminator: false);
            var text = $"$2y${Cost:D2}${saltText}{Encode(raw.AsSpan(0, 23))}";
            return Encoding.ASCII.GetBytes(text);
        }
        finally
        {
            Array.Clear(key);
        }
    }
}
