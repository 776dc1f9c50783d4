using System.Numerics;

namespace Tunmux.Fakes.Proton;

/// <summary>The birational map from an Ed25519 public key to its X25519 (Montgomery u) form.</summary>
public static class Curve25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    /// <summary>u = (1 + y) / (1 − y) mod p.</summary>
    public static byte[] EdwardsToMontgomery(ReadOnlySpan<byte> ed25519PublicKey)
    {
        var bytes = ed25519PublicKey.ToArray();
        bytes[31] &= 0x7f; // drop the sign bit of x
        var y = new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
        var numerator = (1 + y) % P;
        var denominator = ((1 - y) % P + P) % P;
        var u = numerator * BigInteger.ModPow(denominator, P - 2, P) % P;
        var result = new byte[32];
        u.TryWriteBytes(result, out _, isUnsigned: true, isBigEndian: false);
        return result;
    }
}
