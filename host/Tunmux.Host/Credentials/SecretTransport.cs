using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace Tunmux.Host.Credentials;

/// <summary>
/// The Secret Service's <c>dh-ietf1024-sha256-aes128-cbc-pkcs7</c> transfer encryption: a Diffie-Hellman
/// exchange in the 1024-bit MODP group of RFC 2409 (generator 2), HKDF-SHA256 of the shared secret
/// (padded to 128 bytes, no salt, no info) to a 16-byte key, then AES-128-CBC with PKCS#7 padding and
/// the IV carried in the secret's <c>parameters</c>. Keeps secrets off the bus in clear text.
/// </summary>
internal sealed class SecretTransport : IDisposable
{
    public const string Algorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7";
    private const int PrimeBytes = 128;

    private static readonly BigInteger Prime = BigInteger.Parse(
        "00FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
        "29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
        "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381" +
        "FFFFFFFFFFFFFFFF", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private readonly BigInteger _private;
    private byte[]? _key;

    private SecretTransport(BigInteger privateValue, byte[] publicKey)
    {
        _private = privateValue;
        PublicKey = publicKey;
    }

    /// <summary>Our public value, big-endian unsigned, sent with OpenSession.</summary>
    public byte[] PublicKey { get; }

    public static SecretTransport Create()
    {
        var random = RandomNumberGenerator.GetBytes(PrimeBytes);
        var x = new BigInteger(random, isUnsigned: true, isBigEndian: true) % (Prime - 2) + 1;
        CryptographicOperations.ZeroMemory(random);
        var y = BigInteger.ModPow(2, x, Prime);
        return new SecretTransport(x, y.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    /// <summary>Derives the AES key from the service's public value (OpenSession's output).</summary>
    public void CompleteHandshake(byte[] servicePublic)
    {
        var peer = new BigInteger(servicePublic, isUnsigned: true, isBigEndian: true);
        if (peer <= 1 || peer >= Prime - 1)
            throw new CredentialStoreException("keyring: the Secret Service sent an invalid key exchange value; restart the keyring daemon or " + SecretServiceErrors.SwitchToFile);
        var shared = BigInteger.ModPow(peer, _private, Prime).ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[PrimeBytes];
        shared.CopyTo(padded, PrimeBytes - shared.Length);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, padded, 16, salt: [], info: []);
        CryptographicOperations.ZeroMemory(shared);
        CryptographicOperations.ZeroMemory(padded);
    }

    /// <summary>Encrypts with a fresh IV; returns (parameters = IV, value = ciphertext).</summary>
    public (byte[] Parameters, byte[] Value) Encrypt(byte[] plain)
    {
        using var aes = NewAes();
        var iv = RandomNumberGenerator.GetBytes(16);
        return (iv, aes.EncryptCbc(plain, iv, PaddingMode.PKCS7));
    }

    public byte[] Decrypt(byte[] parameters, byte[] value)
    {
        using var aes = NewAes();
        try
        {
            return aes.DecryptCbc(value, parameters, PaddingMode.PKCS7);
        }
        catch (CryptographicException e)
        {
            throw new CredentialStoreException("keyring: a secret from the Secret Service could not be decrypted; restart the keyring daemon or " + SecretServiceErrors.SwitchToFile, e);
        }
    }

    private Aes NewAes()
    {
        var aes = Aes.Create();
        aes.Key = _key ?? throw new InvalidOperationException("key exchange not completed");
        return aes;
    }

    public void Dispose()
    {
        if (_key is not null) CryptographicOperations.ZeroMemory(_key);
    }
}
