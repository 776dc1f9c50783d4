using OtpNet;
using Tunmux.Fakes.Kit;
using Tunmux.Contracts;
using Tunmux.Fakes.Proton;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Proton.Auth;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class TotpAndSpecTests
{
    private readonly PluginTestContext.CapturingLog _log = new() { MasksSecrets = false };

    [Test]
    public void Secret_file_with_a_plain_base32_secret_gives_the_rfc6238_code()
    {
        using var dir = new TempDir();
        var file = dir.Combine("secret");
        File.WriteAllText(file, "jbsw y3dp ehpk 3pxp\n");
        var at = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var expected = new Totp(Base32Encoding.ToBytes("JBSWY3DPEHPK3PXP")).ComputeTotp(at);
        Assert.That(SecondFactorCode.FromSecretFile(file, _log, at), Is.EqualTo(expected));
    }

    [Test]
    public void Unreadable_or_bad_secret_files_are_clear_errors()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<ProviderException>(() => SecondFactorCode.FromSecretFile(dir.Combine("none"), _log));
        Assert.That(missing!.Message, Does.StartWith("cannot read the TOTP secret file"));
        var bad = dir.Combine("bad");
        File.WriteAllText(bad, "otpauth://totp/x?issuer=y");
        Assert.That(Assert.Throws<ProviderException>(() => SecondFactorCode.FromSecretFile(bad, _log))!.Message, Does.Contain("holds no secret"));
        File.WriteAllText(bad, "!!!!");
        Assert.That(Assert.Throws<ProviderException>(() => SecondFactorCode.FromSecretFile(bad, _log))!.Message, Does.Contain("not base32"));
    }

    [Test]
    public void Spec_declares_the_provider_flags_and_config_keys()
    {
        var spec = new ProtonProvider().Describe();
        Assert.Multiple(() =>
        {
            Assert.That(spec.Login, Is.EqualTo(typeof(Cli.ProtonLoginOptions)));
            Assert.That(spec.Servers, Is.EqualTo(typeof(Cli.ProtonServersOptions)));
            Assert.That(spec.Connect, Is.EqualTo(typeof(Cli.ProtonConnectOptions)));
            var login = VerbLines.Options<Cli.ProtonLoginOptions>("alice", "--totp", "123456", "--totp-secret-file", "f");
            Assert.That((login.Username, login.Totp, login.TotpSecretFile), Is.EqualTo(("alice", "123456", "f")));
            var servers = VerbLines.Options<Cli.ProtonServersOptions>("-f", "--p2p", "--secure-core", "--tor", "--streaming", "--city", "Zurich", "-t", "ipv6,tor", "-c", "CH", "-s", "load");
            Assert.That((servers.Free, servers.P2p, servers.SecureCore, servers.Tor, servers.Streaming, servers.City, servers.Country, servers.Sort),
                Is.EqualTo((true, true, true, true, true, "Zurich", "CH", (ServerSort?)ServerSort.Load)));
            Assert.That(servers.Tags, Is.EqualTo(new[] { "ipv6", "tor" }));
            var connect = VerbLines.Options<Cli.ProtonConnectOptions>("--free", "--p2p", "-c", "US");
            Assert.That((connect.Free, connect.P2p, connect.Country), Is.EqualTo((true, true, "US")));
            Assert.That(spec.ConfigKeys, Is.SupersetOf(new[] { "default_country", "api_url" }));
        });
    }
}
