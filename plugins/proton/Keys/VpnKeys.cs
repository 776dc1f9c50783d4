using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Tunmux.Plugins.Proton.Keys;

/// <summary>
/// The client's key pair. Proton certifies an Ed25519 public key; WireGuard uses the same secret as
/// an X25519 key: the clamped first half of SHA-512 of the Ed25519 seed (the scalar Ed25519 itself
/// uses), whose public key is the Montgomery form of the Ed25519 public key.
/// </summary>
public sealed class VpnKeys
{
    private static readonly byte[] SpkiEd25519Prefix = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00];

    private readonly byte[] _seed;

    private VpnKeys(byte[] seed)
    {
        if (seed.Length != 32) throw new ArgumentException("an Ed25519 private key has 32 bytes", nameof(seed));
        _seed = seed;
        var ed = new Ed25519PrivateKeyParameters(seed);
        Ed25519PublicKey = ed.GeneratePublicKey().GetEncoded();

        var hash = SHA512.HashData(seed);
        var scalar = hash[..32];
        CryptographicOperations.ZeroMemory(hash);
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        WireGuardPrivateKey = scalar;
        WireGuardPublicKey = new X25519PrivateKeyParameters(scalar).GeneratePublicKey().GetEncoded();
    }

    /// <summary>A new random key pair.</summary>
    public static VpnKeys Generate()
    {
        var ed = new Ed25519PrivateKeyParameters(new SecureRandom());
        return new VpnKeys(ed.GetEncoded());
    }

    /// <summary>Restores the keys from a stored Ed25519 seed (base64).</summary>
    public static VpnKeys FromBase64(string ed25519Seed) => new(Convert.FromBase64String(ed25519Seed));

    /// <summary>The Ed25519 seed, base64; what is stored. Secret.</summary>
    public string Ed25519SeedBase64 => Convert.ToBase64String(_seed);

    /// <summary>The Ed25519 public key, 32 bytes.</summary>
    public byte[] Ed25519PublicKey { get; }

    /// <summary>WireGuard (X25519) private key, 32 bytes. Secret.</summary>
    public byte[] WireGuardPrivateKey { get; }

    /// <summary>WireGuard (X25519) public key, 32 bytes.</summary>
    public byte[] WireGuardPublicKey { get; }

    public string WireGuardPrivateKeyBase64 => Convert.ToBase64String(WireGuardPrivateKey);
    public string WireGuardPublicKeyBase64 => Convert.ToBase64String(WireGuardPublicKey);

    /// <summary>The Ed25519 public key as a PEM SubjectPublicKeyInfo, the form Proton's certificate endpoint takes.</summary>
    public string Ed25519PublicKeyPem()
    {
        byte[] der = [.. SpkiEd25519Prefix, .. Ed25519PublicKey];
        return "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(der) + "\n-----END PUBLIC KEY-----\n";
    }
}
