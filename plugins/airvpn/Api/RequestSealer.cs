using System.Security.Cryptography;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Api;

/// <summary>One sealed request: the form fields to send and the AES session that opens the answer.</summary>
internal sealed class SealedRequest(string s, string d, byte[] key, byte[] iv)
{
    /// <summary>The AES key and IV, RSA-encrypted, base64.</summary>
    public string S { get; } = s;

    /// <summary>The parameters, AES-encrypted, base64.</summary>
    public string D { get; } = d;

    /// <summary>Decrypts an answer body with this request's AES key and IV (AES-256-CBC, PKCS#7).</summary>
    public byte[] Open(byte[] body)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.DecryptCbc(body, iv, PaddingMode.PKCS7);
    }
}

/// <summary>
/// Seals requests to AirVPN's encrypted API the way Eddie does: a fresh AES-256 key and IV per
/// request, sent as <c>s</c> = RSA-PKCS#1 v1.5(assoc{key, iv}) under the provider key, and the
/// parameters as <c>d</c> = AES-256-CBC(assoc{params}). The answer is XML encrypted with the same AES session.
/// </summary>
internal sealed class RequestSealer : IDisposable
{
    /// <summary>AirVPN's RSA-4096 public key (Eddie, resources/providers/AirVPN.json: auth_rsa_modulus / auth_rsa_exponent).</summary>
    public const string AirVpnModulus =
        "wuQXz7eZeEBwaaRsVK8iEHpueXoKyQzW8sr8qMUkZIcKtKv5iseXMrTbcGYGpRXdiqXp7FqrSjPSMDuRGaHfjWgjbnW4PwecmgJSfhkWt4xY8OnIwKkuI2Eo0MAa9lduPOQRKSfa9I1PBogIyEUrf7kSjcoJQgeY66D429m1BDWY3f65c+8HrCQ8qPg1GY+pSxuwp6+2dV7fd1tiKLQEoJg9NeWGW0he/DDkNSe4c8gFfHj3ANYwDhTQijb+VaVZqPmxVJIzLoE1JOom0/P8fKsvpx3cFOtDS4apiI+N7MyVAMcx5Jjk2AQ/tyDiybwwZ32fOqYJVGxs13guOlgI6h77QxqNIq2bGEjzSRZ4tem1uN7F8AoVKPls6yAUQK1cWM5AVu4apoNIFG+svS/2kmn0Nx8DRVDvKD+nOByXgqg01Y6r0Se8Tz9EEBTiEopdlKjmO1wlrmW3iWKeFIwZnHt2PMceJMqziV8rRGh9gUMLLJC9qdXCAS4vf5VVnZ+Pq3SK9pP87hOislIu4/Kcn06cotQChpVnALA83hFW5LXJvc85iloWJkuLGAV3CcAwoSA5CG1Uo2S76MM+GLLkVIqUk1PiJMTTlSw1SlMEflU4bZiZP8di5e2OJI6vOHjdM2oonpPi/Ul5KKmfp+jci+kGMs9+zOyjKFLVIKDE+Vc=";

    public const string AirVpnExponent = "AQAB";

    private readonly RSA _rsa;

    private RequestSealer(RSA rsa) => _rsa = rsa;

    /// <summary>The sealer for AirVPN's own key, or for the key in <paramref name="rsaKeyFile"/> (PEM or Eddie/.NET XML).</summary>
    public static RequestSealer Create(string? rsaKeyFile)
    {
        var rsa = RSA.Create();
        if (rsaKeyFile is null)
        {
            rsa.ImportParameters(new RSAParameters
            {
                Modulus = Convert.FromBase64String(AirVpnModulus),
                Exponent = Convert.FromBase64String(AirVpnExponent),
            });
            return new RequestSealer(rsa);
        }

        string text;
        try
        {
            text = File.ReadAllText(rsaKeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            rsa.Dispose();
            throw new ProviderException($"airvpn: cannot read the RSA key file {rsaKeyFile} ({e.Message}); fix rsa_key_file or {Settings.EnvRsaKeyFile}", e);
        }

        try
        {
            if (text.TrimStart().StartsWith('<')) rsa.FromXmlString(text);
            else rsa.ImportFromPem(text);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            rsa.Dispose();
            throw new ProviderException($"airvpn: {rsaKeyFile} holds no RSA public key (PEM or <RSAKeyValue> XML expected); fix rsa_key_file", e);
        }
        return new RequestSealer(rsa);
    }

    /// <summary>The sealer for the key a manifest announced (<c>auth_rsa_modulus</c>, <c>auth_rsa_exponent</c>), or null when it has none.</summary>
    public static RequestSealer? FromManifest(Model.AirManifest? manifest, IPluginLogger log)
    {
        if (manifest is null || manifest.RsaModulus.Length == 0 || manifest.RsaExponent.Length == 0) return null;
        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters
            {
                Modulus = Convert.FromBase64String(manifest.RsaModulus),
                Exponent = Convert.FromBase64String(manifest.RsaExponent),
            });
            return new RequestSealer(rsa);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            rsa.Dispose();
            log.Debug("airvpn: the manifest's API key is unusable ({Error}); using the configured one", e.Message);
            return null;
        }
    }

    public SealedRequest Seal(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(16);

        var s = _rsa.Encrypt(AssocEncoding.Encode([KeyValuePair.Create("key", key), KeyValuePair.Create("iv", iv)]), RSAEncryptionPadding.Pkcs1);

        using var aes = Aes.Create();
        aes.Key = key;
        var d = aes.EncryptCbc(AssocEncoding.Encode(parameters), iv, PaddingMode.PKCS7);

        return new SealedRequest(Convert.ToBase64String(s), Convert.ToBase64String(d), key, iv);
    }

    public void Dispose() => _rsa.Dispose();
}
