using NUnit.Framework;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;
using Tunmux.Privileged.Tunnels.Steps;

namespace Tunmux.Network.Tests;

/// <summary>Intent validation, backend choice and the wg-quick config, without touching the system.</summary>
[TestFixture]
public sealed class ValidationAndChoiceTests
{
    private const string Key = "YH5p1xZl2cPaY7l/4JSyjxuf0TB6DOY5u4UXNhflM0I=";

    private static TunnelUpArgs Valid(string mode = "proxy", string backend = "auto") => new()
    {
        Instance = "us-1",
        Provider = "proton",
        Mode = mode,
        Backend = backend,
        Profile = new ProfileDto
        {
            PrivateKey = Key,
            Addresses = ["10.2.0.2/32"],
            Dns = ["10.2.0.1"],
            Peers = [new PeerDto { PublicKey = Key, Endpoint = "198.18.11.2:51820", AllowedIps = ["0.0.0.0/0"] }],
        },
        Proxy = mode == "proxy" ? new ProxyArgs { SocksPort = 1080, HttpPort = 8118 } : null,
    };

    private static PeerDto Peer(TunnelUpArgs a) => a.Profile.Peers[0];

    [Test]
    public void AValidIntentPasses() => Assert.DoesNotThrow(() => TunnelArgsValidator.Validate(Valid()));

    private static IEnumerable<TestCaseData> Invalid()
    {
        var v = Valid();
        yield return new TestCaseData(v with { Instance = "../etc" }).SetName("instance with a path");
        yield return new TestCaseData(v with { Instance = "a b" }).SetName("instance with a space");
        yield return new TestCaseData(v with { Mode = "tap" }).SetName("unknown mode");
        yield return new TestCaseData(v with { Backend = "openvpn" }).SetName("unknown backend");
        yield return new TestCaseData(v with { UserspaceImplementation = "/bin/sh" }).SetName("userspace implementation as a path");
        yield return new TestCaseData(v with { Provider = "Proton;rm" }).SetName("provider with shell characters");
        yield return new TestCaseData(v with { Profile = v.Profile with { PrivateKey = "short" } }).SetName("bad private key");
        yield return new TestCaseData(v with { Profile = v.Profile with { Addresses = ["10.2.0.2/33"] } }).SetName("bad prefix");
        yield return new TestCaseData(v with { Profile = v.Profile with { Addresses = ["dev eth0"] } }).SetName("address injection");
        yield return new TestCaseData(v with { Profile = v.Profile with { Dns = ["evil.example"] } }).SetName("DNS not an address");
        yield return new TestCaseData(v with { Profile = v.Profile with { Mtu = 100 } }).SetName("MTU too small");
        yield return new TestCaseData(v with { Profile = v.Profile with { Peers = [] } }).SetName("no peer");
        yield return new TestCaseData(v with { Profile = v.Profile with { Peers = [Peer(v) with { Endpoint = "host" }] } }).SetName("endpoint without port");
        yield return new TestCaseData(v with { Profile = v.Profile with { Peers = [Peer(v) with { Endpoint = "-o:1" }] } }).SetName("endpoint as an option");
        yield return new TestCaseData(v with { Profile = v.Profile with { Peers = [Peer(v) with { Endpoint = "1.2.3.4:99999" }] } }).SetName("endpoint port out of range");
        yield return new TestCaseData(v with { Profile = v.Profile with { Peers = [Peer(v) with { AllowedIps = ["0.0.0.0/0 table 5"] }] } }).SetName("allowed IP injection");
        yield return new TestCaseData(v with { HandshakeTimeoutMs = 10 }).SetName("handshake timeout too short");
    }

    [TestCaseSource(nameof(Invalid))]
    public void InvalidIntentsAreRejectedBeforeAnythingRuns(TunnelUpArgs args)
    {
        var e = Assert.Throws<PrivilegedException>(() => TunnelArgsValidator.Validate(args));
        Assert.That(e!.Code, Is.EqualTo(ErrorCodes.InvalidArgument));
    }

    [Test]
    public void IPv6EndpointsAndHostNamesAreAccepted()
    {
        var v = Valid();
        Assert.DoesNotThrow(() => TunnelArgsValidator.Validate(v with { Profile = v.Profile with { Peers = [Peer(v) with { Endpoint = "[2001:db8::1]:51820" }] } }));
        Assert.DoesNotThrow(() => TunnelArgsValidator.Validate(v with { Profile = v.Profile with { Peers = [Peer(v) with { Endpoint = "nl-1.vpn.example:51820" }] } }));
    }

    private static SystemTools Tools(params string[] installed) =>
        // Tools are absolute paths now; a fake installation answers by file name.
        new() { Which = name => installed.Contains(Path.GetFileName(name)) ? "/usr/bin/" + Path.GetFileName(name) : null };

    [Test]
    public void AutoPrefersWgQuickInDirectMode()
    {
        var c = BackendChoice.Choose(Valid("direct"), Tools("wg-quick", "wireguard-go"));
        Assert.That((c.Backend, c.UsesWgQuick, c.Reason), Is.EqualTo(("wg-quick", true, "auto: wg-quick is installed")));
        var k = BackendChoice.Choose(Valid("direct"), Tools("wireguard-go"));
        Assert.That((k.Backend, k.UsesWgQuick), Is.EqualTo(("kernel", false)));
        Assert.That(k.Reason, Does.Contain("wg-quick is not installed"));
    }

    [Test]
    public void ProxyModeAlwaysUsesIpAndWgAndSaysWhy()
    {
        var c = BackendChoice.Choose(Valid("proxy", "wg-quick"), Tools("wg-quick", "wireguard-go"));
        Assert.That((c.Backend, c.UsesWgQuick), Is.EqualTo(("kernel", false)));
        Assert.That(c.Reason, Does.Contain("cannot move an interface into a namespace"));
        var u = BackendChoice.Choose(Valid("proxy", "userspace"), Tools("wireguard-go"));
        Assert.That((u.Backend, u.KernelAllowed, u.Userspace?.Name), Is.EqualTo(("userspace", false, "wireguard-go")));
    }

    [Test]
    public void UserspacePicksTheRequestedImplementationOrSaysItIsMissing()
    {
        var b = BackendChoice.Choose(Valid("direct", "userspace") with { UserspaceImplementation = "boringtun" }, Tools("wg-quick", "wireguard-go", "boringtun-cli"));
        Assert.That(b.Userspace, Is.EqualTo(("boringtun", "/usr/bin/boringtun-cli")));
        var e = Assert.Throws<PrivilegedException>(() =>
            BackendChoice.Choose(Valid("direct", "userspace") with { UserspaceImplementation = "boringtun" }, Tools("wg-quick", "wireguard-go")));
        Assert.That(e!.Message, Does.Contain("boringtun is not installed"));
        var w = Assert.Throws<PrivilegedException>(() => BackendChoice.Choose(Valid("direct", "wg-quick"), Tools("wireguard-go")));
        Assert.That(w!.Message, Does.Contain("needs wg-quick"));
    }

    [Test]
    public void WgQuickConfigCarriesTheProfile()
    {
        var record = new TunnelRecord
        {
            Instance = "us-1", Provider = "proton", Mode = "direct", Backend = "wg-quick", Interface = "wg-us-1",
            PeerPublicKey = Key, Endpoint = "198.18.11.2:51820", PersistentKeepalive = 25,
            Addresses = ["10.2.0.2/32", "fd00::2/128"], AllowedIps = ["0.0.0.0/0", "::/0"], Dns = ["10.2.0.1"], Mtu = 1380,
            DnsMethod = "wg-quick",
        };
        Assert.That(WgQuickSteps.Render(record, "PRIV", "PSK"), Is.EqualTo(
            "[Interface]\nPrivateKey = PRIV\nAddress = 10.2.0.2/32, fd00::2/128\nDNS = 10.2.0.1\nMTU = 1380\nFwMark = 51820\n\n" +
            $"[Peer]\nPublicKey = {Key}\nPresharedKey = PSK\nEndpoint = 198.18.11.2:51820\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n"));
        // A family the tunnel does not carry is left to the block step, never routed by wg-quick.
        record.DisableIpv6 = true;
        Assert.That(WgQuickSteps.Render(record, "PRIV", null), Does.Contain("AllowedIPs = 0.0.0.0/0\n"));
    }

    [Test]
    public void LatestHandshakeParsing()
    {
        Assert.That(InterfaceSteps.ParseLatestHandshake($"{Key}\t0\n"), Is.Null);
        Assert.That(InterfaceSteps.ParseLatestHandshake($"{Key}\t1700000000\n"), Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1700000000)));
    }
}
