using NUnit.Framework;
using Serilog.Events;
using Tunmux.Contracts;
using Tunmux.Host.Logging;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Tests;

[TestFixture]
[NonParallelizable]
public sealed class SecretLoggingTests
{
    private const string PrivateKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    private const string Preshared = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";
    private const string AccessToken = "at-5f2b9c1e8d7a4b3c";
    private const string Password = "correct horse battery staple";

    [TearDown]
    public void TearDown() => SecretMask.ClearForTests();

    [Test]
    public void ProfileAndSessionAtDebugLevelLeakNoSecret()
    {
        var output = new StringWriter();
        var log = LogSetup.Create(LogEventLevel.Debug, output);

        var profile = new WireGuardProfile
        {
            PrivateKey = PrivateKey,
            Addresses = ["10.2.0.2/32"],
            Dns = ["10.2.0.1"],
            Peers = [new WireGuardPeer { PublicKey = "pubkey", PresharedKey = Preshared, Endpoint = "198.18.1.2:51820", AllowedIps = ["0.0.0.0/0"] }],
        };
        var dto = new ProfileDto
        {
            PrivateKey = PrivateKey, Addresses = ["10.2.0.2/32"],
            Peers = [new PeerDto { PublicKey = "pubkey", PresharedKey = Preshared, Endpoint = "198.18.1.2:51820", AllowedIps = ["0.0.0.0/0"] }],
        };
        log.Debug("profile {Profile}", profile);
        log.Debug("dto {Dto}", dto);
        log.Debug("proxy {Proxy}", new ProxyArgs { SocksPort = 1, HttpPort = 2, Username = "u", Password = Password });

        // A session object logged by a careless plugin: the registered secrets are masked anyway.
        SecretMask.Register(AccessToken);
        SecretMask.Register(Password);
        log.Debug("session {@Session}", new { Uid = "uid-1", AccessToken, Password });
        log.Debug("request failed: " + $"Authorization: Bearer {AccessToken}");

        var text = output.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("10.2.0.2/32"), "the log is written at all");
            Assert.That(text, Does.Not.Contain(PrivateKey));
            Assert.That(text, Does.Not.Contain(Preshared));
            Assert.That(text, Does.Not.Contain(AccessToken));
            Assert.That(text, Does.Not.Contain(Password));
            Assert.That(text, Does.Contain("***"));
        });
    }

    [Test]
    public void PasswordFromStdinNeverReachesOutput()
    {
        using var cli = new CliHarness("testgood");
        var code = cli.Run(["-v", "testgood", "login", "alice", "--password-stdin"], parseOnly: false, stdin: Password + "\n");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, cli.Err);
            Assert.That(cli.Out, Does.Contain("password-given=True"));
            Assert.That(cli.Out + cli.Err, Does.Not.Contain(Password));
        });
    }
}
