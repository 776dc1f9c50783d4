using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

public class RequestValidatorTests
{
    private static void Rejected(TunnelUpArgs args, string field)
    {
        var e = Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(args))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Code, Is.EqualTo(ErrorCodes.InvalidArgument));
            Assert.That(e.Message, Does.Contain(field));
            Assert.That(e.Message, Does.Not.Contain("\n"));
        });
    }

    [Test]
    public void Accepts_well_formed_proxy_and_direct_requests()
    {
        Assert.DoesNotThrow(() => RequestValidator.Validate(Samples.ProxyUp()));
        Assert.DoesNotThrow(() => RequestValidator.Validate(Samples.DirectUp()));
        Assert.DoesNotThrow(() => RequestValidator.Validate(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1, HttpPort = 65535 } }));
    }

    [TestCase("")]
    [TestCase("US-1")]
    [TestCase("../etc")]
    [TestCase("a/b")]
    [TestCase("a.b")]
    [TestCase("-rf")]
    [TestCase("a b")]
    [TestCase("a;b")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456")]
    [TestCase("x\n")]
    public void Rejects_bad_instance_names(string instance) =>
        Rejected(Samples.ProxyUp() with { Instance = instance }, "instance");

    [Test]
    public void Direct_mode_owns_the_direct_instance_name()
    {
        Rejected(Samples.DirectUp() with { Instance = "us-1" }, "instance");
        Rejected(Samples.ProxyUp() with { Instance = "_direct" }, "instance");
    }

    [TestCase("Proton")]
    [TestCase("-x")]
    [TestCase("a_b")]
    [TestCase("../x")]
    [TestCase("")]
    public void Rejects_bad_provider_names(string provider) =>
        Rejected(Samples.ProxyUp() with { Provider = provider }, "provider");

    [Test]
    public void Mode_backend_and_userspace_implementation_are_closed_sets()
    {
        Rejected(Samples.ProxyUp() with { Mode = "bridge" }, "mode");
        Rejected(Samples.ProxyUp() with { Backend = "wg-quick; reboot" }, "backend");
        Rejected(Samples.ProxyUp() with { UserspaceImplementation = "/tmp/evil" }, "userspace_implementation");
        foreach (var b in new[] { "auto", "wg-quick", "userspace", "kernel" })
            Assert.DoesNotThrow(() => RequestValidator.Validate(Samples.ProxyUp() with { Backend = b }));
    }

    [TestCase("")]
    [TestCase("AAAA")]
    [TestCase("YEocP0e2o1WT5GlvBvQzVF7h/zm6/F6/LpuUZW7vf2I")]
    [TestCase("YEocP0e2o1WT5GlvBvQzVF7h/zm6/F6/LpuUZW7vf2==")]
    [TestCase("YEocP0e2o1WT5GlvBvQzVF7h/zm6/F6/LpuUZW7vf2I=\n")]
    [TestCase("YEocP0e2o1WT5GlvBvQzVF7h_zm6-F6-LpuUZW7vf2I=")]
    public void Keys_are_base64_of_32_bytes(string key)
    {
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { PrivateKey = key } }, "private_key");
        var peer = Samples.Profile().Peers[0];
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Peers = [peer with { PublicKey = key }] } }, "public_key");
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Peers = [peer with { PresharedKey = key }] } }, "preshared_key");
    }

    [Test]
    public void Key_messages_never_repeat_the_key()
    {
        var secret = Samples.Key[..43] + "A";
        var e = Assert.Throws<PrivilegedException>(() =>
            RequestValidator.Validate(Samples.ProxyUp() with { Profile = Samples.Profile() with { PrivateKey = secret + "x" } }))!;
        Assert.That(e.Message, Does.Not.Contain(secret[..20]));
    }

    [TestCase("10.2.0.2")]
    [TestCase("10.2.0.2/33")]
    [TestCase("10.2.0/24")]
    [TestCase("fd00::2/129")]
    [TestCase("10.2.0.2/")]
    [TestCase("10.2.0.2/-1")]
    [TestCase("0x7f.1/32")]
    [TestCase("10.2.0.2/32 dev lo")]
    [TestCase("fe80::1%eth0/64")]
    public void Addresses_and_allowed_ips_are_cidr(string cidr)
    {
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Addresses = [cidr] } }, "addresses");
        var peer = Samples.Profile().Peers[0] with { AllowedIps = [cidr] };
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Peers = [peer] } }, "allowed_ips");
    }

    [TestCase("198.18.0.1:51820", true)]
    [TestCase("[2001:db8::1]:51820", true)]
    [TestCase("vpn.example.com:1", true)]
    [TestCase("vpn.example.com:65535", true)]
    [TestCase("vpn.example.com", false)]
    [TestCase("198.18.0.1:0", false)]
    [TestCase("198.18.0.1:65536", false)]
    [TestCase("2001:db8::1:51820", false)]
    [TestCase("[198.18.0.1]:51820", false)]
    [TestCase("-oProxyCommand=x:22", false)]
    [TestCase("a_b.example.com:51820", false)]
    [TestCase("host:51820;reboot", false)]
    [TestCase("1.2.3:51820", false)]
    [TestCase(":51820", false)]
    public void Endpoints_are_host_and_port(string endpoint, bool valid) =>
        Assert.That(RequestValidator.IsEndpoint(endpoint), Is.EqualTo(valid));

    [Test]
    public void Dns_entries_are_ip_addresses()
    {
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Dns = ["dns.example.com"] } }, "dns");
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Dns = ["10.2.0.1; rm -rf /"] } }, "dns");
        Assert.DoesNotThrow(() => RequestValidator.Validate(Samples.ProxyUp() with { Profile = Samples.Profile() with { Dns = ["2001:db8::53"] } }));
    }

    [TestCase(575, false)]
    [TestCase(576, true)]
    [TestCase(9000, true)]
    [TestCase(9001, false)]
    public void Mtu_range(int mtu, bool valid)
    {
        var args = Samples.ProxyUp() with { Profile = Samples.Profile() with { Mtu = mtu } };
        if (valid) Assert.DoesNotThrow(() => RequestValidator.Validate(args));
        else Rejected(args, "mtu");
    }

    [Test]
    public void Ports_are_in_range_and_distinct()
    {
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 0, HttpPort = 8118 } }, "socks_port");
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 65536 } }, "http_port");
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 1080 } }, "differ");
        Rejected(Samples.ProxyUp() with { Proxy = null }, "proxy");
        Rejected(Samples.DirectUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118 } }, "proxy");
    }

    [Test]
    public void Proxy_credentials_are_bounded_and_printable()
    {
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "u" } }, "together");
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "u\r\nX-Injected: 1", Password = "p" } }, "username");
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "u", Password = new string('p', 256) } }, "password");
        Rejected(Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "", Password = "p" } }, "username");
        var e = Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(
            Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "u", Password = "secret\u0000value" } }))!;
        Assert.That(e.Message, Does.Not.Contain("secret"));
        Assert.DoesNotThrow(() => RequestValidator.Validate(
            Samples.ProxyUp() with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "ünïcode😀", Password = "p" } }));
    }

    [Test]
    public void List_sizes_are_bounded()
    {
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Addresses = [] } }, "addresses");
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Peers = [] } }, "peers");
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Dns = Enumerable.Repeat("10.2.0.1", 9).ToList() } }, "dns");
        Rejected(Samples.ProxyUp() with { Profile = Samples.Profile() with { Addresses = [null!] } }, "addresses");
    }

    [Test]
    public void Other_operations()
    {
        Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new KillPidArgs { Pid = 1 }));
        Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new KillPidArgs { Pid = -1 }));
        Assert.DoesNotThrow(() => RequestValidator.Validate(new KillPidArgs { Pid = 4242 }));
        Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new InstanceArgs { Instance = "../../x" }));
        Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new LeaseArgs(), required: true));
        Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new LeaseArgs { LeaseId = "a/b" }, required: false));
        Assert.DoesNotThrow(() => RequestValidator.Validate(new LeaseArgs(), required: false));
        Assert.DoesNotThrow(() => RequestValidator.Validate(new LeaseArgs { LeaseId = "0123abcd" }, required: true));
    }

    [Test]
    public void Preview_is_printable_and_bounded()
    {
        var p = RequestValidator.Preview("a\nb\u0000" + new string('x', 100));
        Assert.That(p, Does.Not.Contain("\n"));
        Assert.That(p.Length, Is.LessThan(50));
    }
}
