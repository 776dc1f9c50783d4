using System.Text;
using Tunmux.Plugins.Proton.Srp;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class SrpTests
{
    [TestCaseSource(typeof(GoSrpVectors), nameof(GoSrpVectors.Bcrypt))]
    public void Bcrypt_matches_go_srp((string Salt, string Hash) vector)
    {
        var hash = ProtonBcrypt.Hash("test!!!"u8, vector.Salt);
        Assert.That(Encoding.ASCII.GetString(hash), Is.EqualTo(vector.Hash));
    }

    [Test]
    public void Proofs_match_go_srp_published_vector()
    {
        var modulus = ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus);
        var hashed = PasswordHasher.Hash(4, Encoding.UTF8.GetBytes(GoSrpVectors.Password), GoSrpVectors.Username,
            Convert.FromBase64String(GoSrpVectors.Salt), modulus);

        var proofs = SrpClient.GenerateProofs(modulus, Convert.FromBase64String(GoSrpVectors.ServerEphemeral), hashed,
            Convert.FromHexString(GoSrpVectors.ClientSecretHex));

        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToBase64String(proofs.ClientProof), Is.EqualTo(GoSrpVectors.ClientProof));
            Assert.That(Convert.ToBase64String(proofs.ExpectedServerProof), Is.EqualTo(GoSrpVectors.ServerProof));
        });
    }

    [Test]
    public void Random_proofs_differ_each_time_but_keep_their_shape()
    {
        var modulus = ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus);
        var hashed = PasswordHasher.Hash(4, "abc123"u8.ToArray(), "u", Convert.FromBase64String(GoSrpVectors.Salt), modulus);
        var b = Convert.FromBase64String(GoSrpVectors.ServerEphemeral);
        var one = SrpClient.GenerateProofs(modulus, b, hashed);
        var two = SrpClient.GenerateProofs(modulus, b, hashed);
        Assert.That(one.ClientEphemeral, Has.Length.EqualTo(256));
        Assert.That(one.ClientProof, Is.Not.EqualTo(two.ClientProof));
    }

    [Test]
    public void Signed_modulus_is_accepted_and_decoded()
    {
        var modulus = ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus);
        Assert.That(Convert.ToBase64String(modulus), Is.EqualTo(GoSrpVectors.Modulus));
        Assert.That(ModulusVerifier.ReadSignedModulus(GoSrpVectors.OtherSignedModulus), Has.Length.EqualTo(256));
    }

    [Test]
    public void Modulus_with_one_byte_changed_is_refused()
    {
        var text = GoSrpVectors.SignedModulus;
        var at = text.IndexOf("W2z5", StringComparison.Ordinal) + 10;
        var tampered = text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..];
        Assert.That(() => ModulusVerifier.ReadSignedModulus(tampered), Throws.TypeOf<SrpException>());
    }

    [Test]
    public void Signature_with_one_byte_changed_is_refused()
    {
        // The same change go-srp's test makes: one character 100 from the end.
        var text = GoSrpVectors.SignedModulus;
        var tampered = text[..(text.Length - 100)] + "c" + text[(text.Length - 99)..];
        Assert.That(() => ModulusVerifier.ReadSignedModulus(tampered), Throws.TypeOf<SrpException>());
    }

    [Test]
    public void Unsigned_modulus_or_trailing_data_is_refused()
    {
        Assert.That(() => ModulusVerifier.ReadSignedModulus(GoSrpVectors.Modulus), Throws.TypeOf<SrpException>());
        Assert.That(() => ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus + "data after modulus"), Throws.TypeOf<SrpException>());
        var noSignature = GoSrpVectors.SignedModulus[..GoSrpVectors.SignedModulus.IndexOf("-----BEGIN PGP SIGNATURE", StringComparison.Ordinal)];
        Assert.That(() => ModulusVerifier.ReadSignedModulus(noSignature), Throws.TypeOf<SrpException>());
    }

    [Test]
    public void Bad_server_ephemeral_is_refused()
    {
        var modulus = ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus);
        var zero = new byte[256];
        Assert.That(() => SrpClient.GenerateProofs(modulus, zero, new byte[256]), Throws.TypeOf<SrpException>());
    }

    [Test]
    public void Legacy_versions_hash_with_the_user_name()
    {
        var modulus = ModulusVerifier.ReadSignedModulus(GoSrpVectors.SignedModulus);
        var v1 = PasswordHasher.Hash(1, "pw"u8.ToArray(), "User.Name", [], modulus);
        var v2 = PasswordHasher.Hash(2, "pw"u8.ToArray(), "User.Name", [], modulus);
        var v2Clean = PasswordHasher.Hash(1, "pw"u8.ToArray(), "username", [], modulus);
        var v0 = PasswordHasher.Hash(0, "pw"u8.ToArray(), "User.Name", [], modulus);
        Assert.Multiple(() =>
        {
            Assert.That(v2, Is.EqualTo(v2Clean));
            Assert.That(v1, Is.Not.EqualTo(v2));
            Assert.That(v0, Has.Length.EqualTo(256));
        });
        Assert.That(() => PasswordHasher.Hash(5, [], "u", [], modulus), Throws.TypeOf<SrpException>());
    }
}
