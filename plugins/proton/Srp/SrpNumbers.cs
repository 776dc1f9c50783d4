using Org.BouncyCastle.Math;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>Proton puts every SRP integer on the wire little-endian, padded to the modulus length.</summary>
public static class SrpNumbers
{
    /// <summary>Bits of Proton's SRP modulus.</summary>
    public const int BitLength = 2048;

    /// <summary>Bytes of Proton's SRP modulus.</summary>
    public const int ByteLength = BitLength / 8;

    /// <summary>Reads a little-endian unsigned integer.</summary>
    public static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var be = bytes.ToArray();
        Array.Reverse(be);
        return new BigInteger(1, be);
    }

    /// <summary>Writes <paramref name="value"/> little-endian, zero-padded to <see cref="ByteLength"/> bytes.</summary>
    public static byte[] ToLittleEndian(BigInteger value)
    {
        var be = value.ToByteArrayUnsigned();
        if (be.Length > ByteLength) throw new SrpException("SRP value does not fit the modulus length");
        var le = new byte[ByteLength];
        for (var i = 0; i < be.Length; i++) le[i] = be[be.Length - 1 - i];
        return le;
    }

    /// <summary>The multiplier k = H(g || N) mod N, checked to lie in (1, N-1).</summary>
    public static BigInteger Multiplier(BigInteger modulus)
    {
        var k = FromLittleEndian(ExpandHash.Compute(ToLittleEndian(BigInteger.Two), ToLittleEndian(modulus))).Mod(modulus);
        if (k.CompareTo(BigInteger.One) <= 0 || k.CompareTo(modulus.Subtract(BigInteger.One)) >= 0)
            throw new SrpException("SRP multiplier is out of bounds");
        return k;
    }

    /// <summary>The scrambling parameter u = H(A || B).</summary>
    public static BigInteger Scramble(byte[] clientEphemeral, byte[] serverEphemeral) =>
        FromLittleEndian(ExpandHash.Compute(clientEphemeral, serverEphemeral));
}
