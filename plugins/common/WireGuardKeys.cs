using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Tunmux.Plugins.Common;

/// <summary>
/// A WireGuard (X25519) key pair generated on this machine; only the public half is ever sent
/// to the provider. The private key is a secret: callers register it with the logger.
/// </summary>
internal sealed class WireGuardKeys
{
    private WireGuardKeys(byte[] privateKey)
    {
        PrivateKeyBase64 = Convert.ToBase64String(privateKey);
        PublicKeyBase64 = Convert.ToBase64String(new X25519PrivateKeyParameters(privateKey).GeneratePublicKey().GetEncoded());
    }

    public string PrivateKeyBase64 { get; }
    public string PublicKeyBase64 { get; }

    public static WireGuardKeys Generate() => new(new X25519PrivateKeyParameters(new SecureRandom()).GetEncoded());

    /// <summary>The pair of a stored private key; null when it is not base64 of 32 bytes.</summary>
    public static WireGuardKeys? FromPrivateKey(string? base64)
    {
        if (!IsKey(base64)) return null;
        return new WireGuardKeys(Convert.FromBase64String(base64!));
    }

    /// <summary>True for base64 of exactly 32 bytes (a WireGuard key as providers and wg print it).</summary>
    public static bool IsKey(string? base64)
    {
        if (string.IsNullOrEmpty(base64) || base64.Length != 44) return false;
        Span<byte> buffer = stackalloc byte[33];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 32;
    }
}
