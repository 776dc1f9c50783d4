using System.Security.Cryptography;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Tunmux.Plugins.Proton.Srp;

namespace Tunmux.Fakes.Proton;

/// <summary>
/// Server side of Proton's SRP for one login attempt: B = k·v + g^b, then
/// S = (A·v^u)^b, M1 = H(A‖B‖S) checked, M2 = H(A‖M1‖S) returned.
/// </summary>
public sealed class FakeSrpServer
{
    private static readonly SecureRandom Random = new();
    private readonly BigInteger _n;
    private readonly BigInteger _verifier;
    private readonly BigInteger _secret;

    public FakeSrpServer(byte[] modulus, byte[] hashedPassword)
    {
        _n = SrpNumbers.FromLittleEndian(modulus);
        _verifier = BigInteger.Two.ModPow(SrpNumbers.FromLittleEndian(hashedPassword), _n);
        var nMinusOne = _n.Subtract(BigInteger.One);
        do _secret = new BigInteger(SrpNumbers.BitLength, Random);
        while (_secret.CompareTo(BigInteger.ValueOf(SrpNumbers.BitLength * 2)) <= 0 || _secret.CompareTo(nMinusOne) >= 0);
        var k = SrpNumbers.Multiplier(_n);
        ServerEphemeral = SrpNumbers.ToLittleEndian(k.Multiply(_verifier).Add(BigInteger.Two.ModPow(_secret, _n)).Mod(_n));
    }

    /// <summary>B, little-endian.</summary>
    public byte[] ServerEphemeral { get; }

    /// <summary>Returns M2 when the client's proof is right, else null.</summary>
    public byte[]? Verify(byte[] clientEphemeral, byte[] clientProof)
    {
        var a = SrpNumbers.FromLittleEndian(clientEphemeral);
        if (a.CompareTo(BigInteger.One) <= 0 || a.CompareTo(_n.Subtract(BigInteger.One)) >= 0) return null;
        var u = SrpNumbers.Scramble(clientEphemeral, ServerEphemeral);
        if (u.SignValue == 0) return null;
        var shared = SrpNumbers.ToLittleEndian(a.Multiply(_verifier.ModPow(u, _n)).Mod(_n).ModPow(_secret, _n));
        var expected = ExpandHash.Compute(clientEphemeral, ServerEphemeral, shared);
        if (!CryptographicOperations.FixedTimeEquals(expected, clientProof)) return null;
        return ExpandHash.Compute(clientEphemeral, clientProof, shared);
    }
}
