using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>The client half of one SRP exchange: what to send, and the server proof to expect back.</summary>
/// <param name="ClientEphemeral">A, little-endian, 256 bytes.</param>
/// <param name="ClientProof">M1, 256 bytes.</param>
/// <param name="ExpectedServerProof">M2, 256 bytes; the server must send exactly this.</param>
public sealed record SrpProofs(byte[] ClientEphemeral, byte[] ClientProof, byte[] ExpectedServerProof);

/// <summary>
/// Proton's SRP-6a client (generator 2, 2048-bit safe-prime modulus, <see cref="ExpandHash"/> as H).
/// </summary>
public static class SrpClient
{
    private static readonly SecureRandom Random = new();

    /// <summary>Computes the proofs for a login.</summary>
    /// <param name="modulus">N, little-endian, taken from a verified signed modulus.</param>
    /// <param name="serverEphemeral">B as received, little-endian.</param>
    /// <param name="hashedPassword">x from <see cref="PasswordHasher"/>.</param>
    public static SrpProofs GenerateProofs(byte[] modulus, byte[] serverEphemeral, byte[] hashedPassword) =>
        GenerateProofs(modulus, serverEphemeral, hashedPassword, null);

    /// <summary>As <see cref="GenerateProofs(byte[],byte[],byte[])"/>, with a fixed client secret (tests replaying published vectors).</summary>
    internal static SrpProofs GenerateProofs(byte[] modulus, byte[] serverEphemeral, byte[] hashedPassword, byte[]? fixedClientSecret)
    {
        var n = SrpNumbers.FromLittleEndian(modulus);
        var b = SrpNumbers.FromLittleEndian(serverEphemeral);
        CheckParameters(n, b);
        var nMinusOne = n.Subtract(BigInteger.One);

        BigInteger a, u;
        byte[] clientEphemeral;
        while (true)
        {
            a = fixedClientSecret is null ? RandomSecret(nMinusOne) : SrpNumbers.FromLittleEndian(fixedClientSecret);
            clientEphemeral = SrpNumbers.ToLittleEndian(BigInteger.Two.ModPow(a, n));
            u = SrpNumbers.Scramble(clientEphemeral, serverEphemeral);
            if (u.SignValue != 0) break;
            if (fixedClientSecret is not null) throw new SrpException("SRP scrambling parameter is zero");
        }

        var k = SrpNumbers.Multiplier(n);
        var x = SrpNumbers.FromLittleEndian(hashedPassword);
        var kgx = k.Multiply(BigInteger.Two.ModPow(x, n)).Mod(n);
        var baseValue = b.Subtract(kgx).Mod(n);
        var exponent = u.Multiply(x).Add(a).Mod(nMinusOne);
        var shared = SrpNumbers.ToLittleEndian(baseValue.ModPow(exponent, n));

        var clientProof = ExpandHash.Compute(clientEphemeral, serverEphemeral, shared);
        var serverProof = ExpandHash.Compute(clientEphemeral, clientProof, shared);
        Array.Clear(shared);
        return new SrpProofs(clientEphemeral, clientProof, serverProof);
    }

    /// <summary>The checks go-srp makes before trusting a modulus and a server ephemeral.</summary>
    private static void CheckParameters(BigInteger n, BigInteger b)
    {
        if (n.BitLength != SrpNumbers.BitLength) throw new SrpException("SRP modulus has the wrong size");
        // N must be 3 mod 8 so that 2 generates the whole group.
        if (!n.TestBit(0) || !n.TestBit(1) || n.TestBit(2)) throw new SrpException("SRP modulus is not 3 mod 8");
        var nMinusOne = n.Subtract(BigInteger.One);
        if (b.CompareTo(BigInteger.One) <= 0 || b.CompareTo(nMinusOne) >= 0) throw new SrpException("SRP server ephemeral is out of bounds");
        var half = n.ShiftRight(1);
        if (!half.IsProbablePrime(10)) throw new SrpException("SRP modulus is not a safe prime");
        // Lucas test with base 2: 2^((N-1)/2) = -1 mod N proves N prime given (N-1)/2 prime.
        if (!BigInteger.Two.ModPow(half, n).Equals(nMinusOne)) throw new SrpException("SRP modulus is not prime");
    }

    private static BigInteger RandomSecret(BigInteger nMinusOne)
    {
        var lowerBound = BigInteger.ValueOf(SrpNumbers.BitLength * 2);
        while (true)
        {
            var candidate = new BigInteger(SrpNumbers.BitLength, Random);
            if (candidate.CompareTo(lowerBound) > 0 && candidate.CompareTo(nMinusOne) < 0) return candidate;
        }
    }
}
