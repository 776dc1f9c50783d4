using System.Security.Cryptography;

namespace Tunmux.Plugins.Proton.Srp;

/// <summary>
/// Proton's SRP hash: four SHA-512 digests of the data followed by one counter byte (0..3),
/// concatenated to 256 bytes so that it spans a 2048-bit modulus.
/// </summary>
public static class ExpandHash
{
    /// <summary>Length of the result in bytes.</summary>
    public const int Length = 4 * 64;

    /// <summary>Hashes the concatenation of <paramref name="parts"/>.</summary>
    public static byte[] Compute(params ReadOnlySpan<byte[]> parts)
    {
        var total = 0;
        foreach (var p in parts) total += p.Length;
        var buffer = new byte[total + 1];
        var offset = 0;
        foreach (var p in parts)
        {
            p.CopyTo(buffer, offset);
            offset += p.Length;
        }

        var result = new byte[Length];
        for (byte i = 0; i < 4; i++)
        {
            buffer[total] = i;
            SHA512.HashData(buffer, result.AsSpan(i * 64, 64));
        }
        CryptographicOperations.ZeroMemory(buffer);
        return result;
    }
}
