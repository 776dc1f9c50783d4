using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>
/// Reads the SRP modulus from the PGP cleartext-signed message Proton sends and accepts it only
/// when it is signed by Proton's published modulus key. A modulus chosen by anyone else would let
/// them run an offline attack on the password, so unsigned or badly signed moduli are refused.
/// </summary>
public static class ModulusVerifier
{
    /// <summary>Proton's modulus signing key (<c>proton@srp.modulus</c>), as published in go-srp.</summary>
    public const string ModulusPublicKey =
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\n" +
        "xjMEXAHLgxYJKwYBBAHaRw8BAQdAFurWXXwjTemqjD7CXjXVyKf0of7n9Ctm\r\n" +
        "L8v9enkzggHNEnByb3RvbkBzcnAubW9kdWx1c8J3BBAWCgApBQJcAcuDBgsJ\r\n" +
        "BwgDAgkQNQWFxOlRjyYEFQgKAgMWAgECGQECGwMCHgEAAPGRAP9sauJsW12U\r\n" +
        "MnTQUZpsbJb53d0Wv55mZIIiJL2XulpWPQD/V6NglBd96lZKBmInSXX/kXat\r\n" +
        "Sv+y0io+LR8i2+jV+AbOOARcAcuDEgorBgEEAZdVAQUBAQdAeJHUz1c9+KfE\r\n" +
        "kSIgcBRE3WuXC4oj5a2/U3oASExGDW4DAQgHwmEEGBYIABMFAlwBy4MJEDUF\r\n" +
        "hcTpUY8mAhsMAAD/XQD8DxNI6E78meodQI+wLsrKLeHn32iLvUqJbVDhfWSU\r\n" +
        "WO4BAMcm1u02t4VKw++ttECPt+HUgPUq5pqQWe5Q2cW4TMsE\r\n" +
        "=Y4Mw\r\n" +
        "-----END PGP PUBLIC KEY BLOCK-----";

    private const string BeginMessage = "-----BEGIN PGP SIGNED MESSAGE-----";
    private const string BeginSignature = "-----BEGIN PGP SIGNATURE-----";
    private const string EndSignature = "-----END PGP SIGNATURE-----";

    private static readonly Lazy<PgpPublicKeyRingBundle> Keys = new(() =>
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(ModulusPublicKey));
        using var decoder = PgpUtilities.GetDecoderStream(stream);
        return new PgpPublicKeyRingBundle(decoder);
    });

    /// <summary>Verifies the signature and returns the modulus bytes (little-endian).</summary>
    /// <exception cref="SrpException">The message is malformed, unsigned, or not signed by Proton's modulus key.</exception>
    public static byte[] ReadSignedModulus(string signedMessage)
    {
        var (text, signatureArmor) = SplitCleartext(signedMessage);
        var signature = ReadSignature(signatureArmor);

        var key = Keys.Value.GetPublicKey(signature.KeyId)
            ?? throw new SrpException("the SRP modulus is signed by an unknown key");
        if (signature.SignatureType is not (PgpSignature.CanonicalTextDocument or PgpSignature.BinaryDocument))
            throw new SrpException("the SRP modulus signature has an unexpected type");

        try
        {
            signature.InitVerify(key);
            // RFC 4880 section 7.1: lines joined with CRLF, trailing whitespace removed.
            var signed = Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n"));
            signature.Update(signed);
            if (!signature.Verify()) throw new SrpException("the SRP modulus signature is invalid");
        }
        catch (PgpException ex)
        {
            throw new SrpException($"the SRP modulus signature cannot be checked: {ex.Message}");
        }

        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new SrpException("the signed SRP modulus is not base64");
        }
    }

    /// <summary>Splits a cleartext-signed message into its canonical text (LF-joined) and the signature armor.</summary>
    private static (string Text, string SignatureArmor) SplitCleartext(string message)
    {
        var lines = message.Replace("\r\n", "\n").Split('\n');
        var i = 0;
        if (lines.Length == 0 || lines[0].TrimEnd() != BeginMessage) throw new SrpException("the SRP modulus is not PGP-signed");
        i++;
        // Armor headers ("Hash: SHA256") up to the blank line.
        while (i < lines.Length && lines[i].Trim().Length > 0)
        {
            if (!lines[i].Contains(':')) throw new SrpException("the signed SRP modulus has a malformed header");
            i++;
        }
        if (i >= lines.Length) throw new SrpException("the signed SRP modulus has no body");
        i++;

        var body = new List<string>();
        while (i < lines.Length && lines[i].TrimEnd() != BeginSignature)
        {
            var line = lines[i];
            if (line.StartsWith("- ", StringComparison.Ordinal)) line = line[2..]; // dash-escaping
            body.Add(line.TrimEnd(' ', '\t', '\r'));
            i++;
        }
        if (i >= lines.Length) throw new SrpException("the SRP modulus has no signature");

        var armor = new StringBuilder();
        var ended = false;
        for (; i < lines.Length; i++)
        {
            if (ended)
            {
                if (lines[i].Trim().Length > 0) throw new SrpException("the signed SRP modulus has data after its signature");
                continue;
            }
            armor.Append(lines[i]).Append('\n');
            if (lines[i].TrimEnd() == EndSignature) ended = true;
        }
        if (!ended) throw new SrpException("the SRP modulus signature is truncated");
        return (string.Join('\n', body), armor.ToString());
    }

    private static PgpSignature ReadSignature(string armor)
    {
        try
        {
            using var stream = new MemoryStream(Encoding.ASCII.GetBytes(armor));
            using var armored = new ArmoredInputStream(stream);
            var factory = new PgpObjectFactory(armored);
            var obj = factory.NextPgpObject();
            if (obj is PgpSignatureList { Count: 1 } list) return list[0];
            throw new SrpException("the SRP modulus signature block holds no single signature");
        }
        catch (Exception ex) when (ex is IOException or PgpException)
        {
            throw new SrpException("the SRP modulus signature cannot be read");
        }
    }
}
