using System.Numerics;
using System.Security.Cryptography;

namespace Tunmux.Fakes.AirVpn;

/// <summary>
/// WireGuard key pairs (Curve25519, RFC 7748) so the fake can hand out real device keys whose
/// public halves a lab server can accept as peers. Slow big-integer arithmetic; fine for a fake.
/// </summary>
public static class X25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger A24 = 121665;

    public static (string PrivateKey, string PublicKey) NewKeyPair()
    {
        var priv = RandomNumberGenerator.GetBytes(32);
        priv[0] &= 248;
        priv[31] &= 127;
        priv[31] |= 64;
        return (Convert.ToBase64String(priv), PublicKeyOf(Convert.ToBase64String(priv)));
    }

    public static string PublicKeyOf(string privateKeyBase64)
    {
        var basePoint = new byte[32];
        basePoint[0] = 9;
        return Convert.ToBase64String(ScalarMult(Convert.FromBase64String(privateKeyBase64), basePoint));
    }

    public static byte[] ScalarMult(byte[] scalar, byte[] u)
    {
        var k = (byte[])scalar.Clone();
        k[0] &= 248;
        k[31] &= 127;
        k[31] |= 64;
        var uBytes = (byte[])u.Clone();
        uBytes[31] &= 127;
        var x1 = new BigInteger(uBytes, isUnsigned: true, isBigEndian: false);
        BigInteger x2 = 1, z2 = 0, x3 = x1, z3 = 1;
        var swap = 0;
        for (var t = 254; t >= 0; t--)
        {
            var kt = (k[t >> 3] >> (t & 7)) & 1;
            swap ^= kt;
            if (swap == 1) { (x2, x3) = (x3, x2); (z2, z3) = (z3, z2); }
            swap = kt;
            var a = Mod(x2 + z2);
            var aa = Mod(a * a);
            var b = Mod(x2 - z2);
            var bb = Mod(b * b);
            var e = Mod(aa - bb);
            var c = Mod(x3 + z3);
            var d = Mod(x3 - z3);
            var da = Mod(d * a);
            var cb = Mod(c * b);
            x3 = Mod(BigInteger.Pow(da + cb, 2));
            z3 = Mod(x1 * BigInteger.Pow(da - cb, 2));
            x2 = Mod(aa * bb);
            z2 = Mod(e * (aa + A24 * e));
        }
        if (swap == 1) { (x2, x3) = (x3, x2); (z2, z3) = (z3, z2); }
        var result = Mod(x2 * BigInteger.ModPow(z2, P - 2, P));
        var bytes = result.ToByteArray(isUnsigned: true, isBigEndian: false);
        var output = new byte[32];
        Array.Copy(bytes, output, Math.Min(32, bytes.Length));
        return output;
    }

    private static BigInteger Mod(BigInteger v)
    {
        var r = v % P;
        return r.Sign < 0 ? r + P : r;
    }
}
