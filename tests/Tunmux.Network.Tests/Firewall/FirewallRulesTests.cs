using System.Net;
using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Firewall;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests.Firewall;

/// <summary>
/// The firewall table as text, and nftables' own verdict on it: every shape of policy is checked by <c>nft</c>
/// itself (<c>nft -c</c>, inside a namespace made for the purpose, so nothing is installed anywhere).
/// </summary>
[TestFixture]
public sealed class FirewallRulesTests
{
    private static readonly IPAddress Server = IPAddress.Parse("198.18.11.2");

    private static FirewallPolicy Connected(bool allowLan = false, bool ipv6 = false) => new()
    {
        Exits =
        [
            ExitSocket.ByMark(Server, 51820, ExitMark.Value),
            ExitSocket.ByMark(IPAddress.Parse("2001:2::11"), 1637, ExitMark.Value),
            ExitSocket.ByOwner(IPAddress.Parse("198.18.12.2"), 51820, 1000),
        ],
        Tunnel = new TunnelAccess("wg-_direct", [IPAddress.Parse("10.2.0.1"), IPAddress.Parse("fd00::1")], true, ipv6,
            [IPAddress.Parse("10.2.0.2")]),
        AllowLan = allowLan,
        LanSubnets = ["198.18.1.0/24", "2001:2:0:1::/64"],
        Api = [new ApiAccess(1000, IPAddress.Parse("198.18.100.1"), 443)],
    };

    [Test]
    public void TheConnectedTableLetsOutOnlyTheTunnelTheExitsAndTheLinksHousekeeping()
    {
        var text = NftTable.Render(Connected());
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.StartWith("table inet tunmux {\n"));
            Assert.That(text, Does.Contain("type filter hook output priority 0; policy drop;"));
            Assert.That(text, Does.Contain("type filter hook input priority 0; policy drop;"));
            Assert.That(text, Does.Contain("type filter hook forward priority 0; policy drop;"));
            Assert.That(text, Does.Contain("meta mark 0x0000ca6c ip daddr 198.18.11.2 udp dport 51820 accept"));
            Assert.That(text, Does.Contain("meta mark 0x0000ca6c ip6 daddr 2001:2::11 udp dport 1637 accept"));
            Assert.That(text, Does.Contain("meta skuid 1000 ip daddr 198.18.12.2 udp dport 51820 accept"), "a rootless exit, by owner");
            Assert.That(text, Does.Contain("meta skuid 1000 ip daddr 198.18.100.1 tcp dport 443 accept"));
            Assert.That(text, Does.Contain("oifname \"wg-_direct\" ip daddr 10.2.0.1 meta l4proto { tcp, udp } th dport { 53, 853 } accept"));
            Assert.That(text, Does.Contain("oifname \"wg-_direct\" meta nfproto ipv6 reject"), "no IPv6 in the profile: none through the tunnel");
            Assert.That(text, Does.Contain("iifname != \"wg-_direct\" ip daddr 10.2.0.2 drop"));
            Assert.That(text, Does.Not.Contain("198.18.1.0/24"), "no LAN unless asked");
        });
        // DNS anywhere else is refused before the tunnel (and the LAN) are let through.
        var output = text[..text.IndexOf("chain input", StringComparison.Ordinal)];
        Assert.That(output.IndexOf("th dport { 53, 853 } reject", StringComparison.Ordinal),
            Is.LessThan(output.IndexOf("oifname \"wg-_direct\" accept", StringComparison.Ordinal)));
        Assert.That(output.TrimEnd().Split('\n')[^2].Trim(), Is.EqualTo("reject"), "the last word is no");
    }

    [Test]
    public void AllowLanAddsTheLocalSubnetsAfterTheDnsRule()
    {
        var text = NftTable.Render(Connected(allowLan: true, ipv6: true));
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("ip daddr 198.18.1.0/24 accept"));
            Assert.That(text, Does.Contain("ip6 daddr 2001:2:0:1::/64 accept"));
            Assert.That(text, Does.Contain("ip saddr 198.18.1.0/24 accept"));
            Assert.That(text, Does.Not.Contain("meta nfproto ipv6 reject"));
        });
        Assert.That(text.IndexOf("th dport { 53, 853 } reject", StringComparison.Ordinal),
            Is.LessThan(text.IndexOf("ip daddr 198.18.1.0/24 accept", StringComparison.Ordinal)), "DNS never leaks to the LAN");
    }

    [Test]
    public void LockdownWithoutATunnelLetsOutOnlyTheExitsAndTheLinksHousekeeping()
    {
        var text = NftTable.Render(new FirewallPolicy { Exits = [ExitSocket.ByMark(Server, 51820, ExitMark.Value)] });
        Assert.That(text, Does.Not.Contain("oifname \"wg"));
        Assert.That(text, Does.Contain("meta l4proto { tcp, udp } th dport { 53, 853 } reject"));
    }

    [Test]
    public void ValuesThatAreNotWhatTheyClaimNeverReachTheText()
    {
        Assert.Throws<ArgumentException>(() => NftTable.Render(Connected() with
        {
            Tunnel = new TunnelAccess("wg\" accept; #", [], true, false, []),
        }));
        Assert.Throws<ArgumentException>(() => NftTable.Render(Connected(allowLan: true) with { LanSubnets = ["0.0.0.0/0 accept"] }));
        Assert.Throws<ArgumentException>(() => NftTable.Render(new FirewallPolicy { Exits = [new ExitSocket(Server, 1)] }));
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void NftablesAcceptsEveryShape(bool allowLan, bool ipv6)
    {
        Requires.Root("checks the table with nft inside a namespace of its own");
        Requires.Command("nft", "nftables");
        foreach (var policy in new[] { Connected(allowLan, ipv6), new FirewallPolicy { AllowLan = allowLan, LanSubnets = ["198.18.1.0/24"] } })
        {
            var ns = "tmxfwchk" + Environment.ProcessId % 100000;
            Lab.Check(Lab.Run("ip", ["netns", "add", ns]));
            try
            {
                var r = Lab.Run("ip", ["netns", "exec", ns, "nft", "-c", "-f", "-"], NftTable.Render(policy));
                Assert.That(r.Ok, Is.True, r.Error);
            }
            finally
            {
                Lab.Run("ip", ["netns", "del", ns]);
            }
        }
    }

    [Test]
    public void LocalSubnetsAreTheOnLinkRoutesOfOtherLinks()
    {
        const string v4 = """
            [{"dst":"default","gateway":"198.18.1.1","dev":"eth0","flags":[]},
             {"dst":"198.18.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.18.1.2","flags":[]},
             {"dst":"10.2.0.0/24","dev":"wg-_direct","protocol":"kernel","scope":"link","flags":[]},
             {"dst":"0.0.0.0/1","dev":"eth1","protocol":"kernel","scope":"link","flags":[]},
             {"type":"unreachable","dst":"192.0.2.0/24","flags":[]},
             {"dst":"198.18.5.7","dev":"eth0","scope":"link","flags":[]}]
            """;
        const string v6 = """[{"dst":"2001:2:0:1::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}]""";
        var skip = new HashSet<string> { "wg-_direct" };
        Assert.That(LocalSubnets.Parse(v4, skip), Is.EqualTo(new[] { "198.18.1.0/24", "198.18.5.7/32" }),
            "no gateway routes, no tunnel, no special routes, and nothing wider than /8");
        Assert.That(LocalSubnets.Parse(v6, skip), Is.EqualTo(new[] { "2001:2:0:1::/64" }));
    }

    [Test]
    public void TheKillSwitchFlagsAreDirectModesAndAllowLanGoesWithTheKillSwitch()
    {
        var proxy = Args("proxy") with { KillSwitch = true, Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118 } };
        Assert.That(Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(proxy))!.Message, Does.Contain("only in direct mode"));
        Assert.That(Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(Args("direct") with { AllowLan = true }))!.Message,
            Does.Contain("only with kill_switch"));
        Assert.DoesNotThrow(() => RequestValidator.Validate(Args("direct") with { KillSwitch = true, AllowLan = true, DisableIpv6 = true }));
        Assert.That(Assert.Throws<PrivilegedException>(() => RequestValidator.Validate(new AllowApiArgs { Endpoints = ["api.example.com:443"] }))!.Message,
            Does.Contain("address:port"));
        Assert.DoesNotThrow(() => RequestValidator.Validate(new AllowApiArgs { Endpoints = ["198.18.100.1:443", "[2001:2::1]:443"] }));
    }

    private static TunnelUpArgs Args(string mode) => new()
    {
        Instance = mode == "direct" ? "_direct" : "us-1",
        Provider = "lab",
        Mode = mode,
        Profile = new ProfileDto
        {
            PrivateKey = "YH5p1xZl2cPaY7l/4JSyjxuf0TB6DOY5u4UXNhflM0I=",
            Addresses = ["10.2.0.2/32"],
            Peers = [new PeerDto { PublicKey = "fM/3lcylnJ24xA/SXbDXjmVQfAKAuTr2Gd9B2KEx8nk=", Endpoint = "198.18.11.2:51820", AllowedIps = ["0.0.0.0/0"] }],
        },
    };
}
