using NUnit.Framework;
using Tunmux.Plugins.WgConf.Config;

namespace Tunmux.Plugins.WgConf.Tests;

[TestFixture]
public sealed class ParserTests
{
    private static ParsedConfig Parse(string text) => WireGuardConfigParser.Parse(text, "wg0.conf");

    private static WireGuardConfigException Fails(string text) =>
        Assert.Throws<WireGuardConfigException>(() => Parse(text))!;

    [Test]
    public void ReadsACompleteConfig()
    {
        var text = $"""
            # exported by a provider
            [Interface]
            PrivateKey = {Keys.Private}   # the client's key
            Address = 10.2.0.2/32, fd00:0:0::2/128
            Address = 10.3.0.2
            DNS = 10.2.0.1, 2001:db8::53
            MTU = 1380

            [Peer]
            PublicKey = {Keys.Public}
            PresharedKey = {Keys.Preshared}
            Endpoint = [2001:db8::1]:51820
            AllowedIPs = 0.0.0.0/0, ::/0
            PersistentKeepalive = 25
            """.Replace("\n", "\r\n");
        var parsed = Parse(text);
        var p = parsed.Profile;
        Assert.That(p.PrivateKey, Is.EqualTo(Keys.Private));
        Assert.That(p.Addresses, Is.EqualTo(new[] { "10.2.0.2/32", "fd00::2/128", "10.3.0.2/32" }));
        Assert.That(p.Dns, Is.EqualTo(new[] { "10.2.0.1", "2001:db8::53" }));
        Assert.That(p.Mtu, Is.EqualTo(1380));
        Assert.That(p.Peers, Has.Count.EqualTo(1));
        var peer = p.Peers[0];
        Assert.That(peer.PublicKey, Is.EqualTo(Keys.Public));
        Assert.That(peer.PresharedKey, Is.EqualTo(Keys.Preshared));
        Assert.That(peer.Endpoint, Is.EqualTo("[2001:db8::1]:51820"));
        Assert.That(peer.AllowedIps, Is.EqualTo(new[] { "0.0.0.0/0", "::/0" }));
        Assert.That(peer.PersistentKeepalive, Is.EqualTo(25));
        Assert.That(parsed.Warnings, Is.Empty);
    }

    [Test]
    public void KeysAndSectionsAreCaseInsensitive()
    {
        var p = Parse($"[interface]\nprivatekey={Keys.Private}\naddress=10.2.0.2/32\n[PEER]\npublickey={Keys.Public}\nendpoint=vpn.example.com:443\nallowedips=10.0.0.0/8\npersistentkeepalive=off\n").Profile;
        Assert.That(p.Peers[0].Endpoint, Is.EqualTo("vpn.example.com:443"));
        Assert.That(p.Peers[0].PersistentKeepalive, Is.Null);
        Assert.That(p.Dns, Is.Empty);
        Assert.That(p.Mtu, Is.Null);
    }

    [Test]
    public void WgQuickRoutingKeysAreIgnoredWithAWarningNamingTheLine()
    {
        var parsed = Parse($"[Interface]\nPrivateKey = {Keys.Private}\nAddress = 10.2.0.2/32\nTable = off\nSaveConfig = true\nFwMark = 51820\nListenPort = 51000\nDNS = 10.2.0.1, corp.example\n[Peer]\nPublicKey = {Keys.Public}\nEndpoint = 198.18.1.2:51820\nAllowedIPs = 0.0.0.0/0\n");
        Assert.That(parsed.Warnings, Has.Count.EqualTo(5));
        Assert.That(parsed.Warnings[0], Does.StartWith("wg0.conf:4: Table is ignored"));
        Assert.That(parsed.Warnings, Has.Some.StartsWith("wg0.conf:7: ListenPort is ignored"));
        Assert.That(parsed.Warnings, Has.Some.Contains("search domain 'corp.example'"));
        Assert.That(parsed.ListenPort, Is.EqualTo(51000));
        Assert.That(parsed.Profile.Dns, Is.EqualTo(new[] { "10.2.0.1" }));
    }

    [Test]
    public void SeveralPeersAreKept()
    {
        var p = Parse(Keys.Config() + $"\n[Peer]\nPublicKey = {Keys.OtherPublic}\nEndpoint = 198.18.1.3:51820\nAllowedIPs = 10.9.0.0/16\n").Profile;
        Assert.That(p.Peers.Select(x => x.Endpoint), Is.EqualTo(new[] { "198.18.1.2:51820", "198.18.1.3:51820" }));
    }

    [Test]
    public void WriterAndParserRoundTrip()
    {
        var first = Parse($"[Interface]\nPrivateKey = {Keys.Private}\nAddress = 10.2.0.2, fd00::2/128\nDNS = 10.2.0.1\nMTU = 1280\n[Peer]\nPublicKey = {Keys.Public}\nPresharedKey = {Keys.Preshared}\nEndpoint = vpn.example.com:51820\nAllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 15\n").Profile;
        var again = Parse(WireGuardConfigWriter.Write(first)).Profile;
        Assert.That(again.PrivateKey, Is.EqualTo(first.PrivateKey));
        Assert.That(again.Addresses, Is.EqualTo(first.Addresses));
        Assert.That(again.Dns, Is.EqualTo(first.Dns));
        Assert.That(again.Mtu, Is.EqualTo(first.Mtu));
        Assert.That(again.Peers[0], Is.EqualTo(first.Peers[0]).Using<Contracts.WireGuardPeer>((a, b) =>
            a.PublicKey == b.PublicKey && a.PresharedKey == b.PresharedKey && a.Endpoint == b.Endpoint
            && a.AllowedIps.SequenceEqual(b.AllowedIps) && a.PersistentKeepalive == b.PersistentKeepalive));
    }

    [Test]
    public void MissingPrivateKeyNamesTheInterfaceLine()
    {
        var e = Fails($"# comment\n[Interface]\nAddress = 10.2.0.2/32\n[Peer]\nPublicKey = {Keys.Public}\nEndpoint = 198.18.1.2:51820\nAllowedIPs = 0.0.0.0/0\n");
        Assert.That(e.Message, Is.EqualTo("wg0.conf:2: [Interface] has no PrivateKey; add 'PrivateKey = <base64 key>' (from your provider or 'wg genkey')"));
        Assert.That(e.Line, Is.EqualTo(2));
    }

    [TestCase("not-a-key")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 31 bytes
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 34 bytes
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!=")]
    public void BadPrivateKeyIsRefusedWithoutEchoingIt(string key)
    {
        var e = Fails(Keys.Config().Replace(Keys.Private, key));
        Assert.That(e.Message, Does.StartWith("wg0.conf:2: PrivateKey is not a WireGuard key (base64 of 32 bytes)"));
        Assert.That(e.Message, Does.Not.Contain(key));
    }

    [Test]
    public void BadPublicKeyNamesItsLine() =>
        Assert.That(Fails(Keys.Config().Replace(Keys.Public, "short")).Message, Does.StartWith("wg0.conf:7: PublicKey is not a WireGuard key"));

    [Test]
    public void BadPresharedKeyNamesItsLine() =>
        Assert.That(Fails(Keys.Config() + "\nPresharedKey = zzz\n").Message, Does.StartWith("wg0.conf:10: PresharedKey is not a WireGuard key"));

    [TestCase("198.18.1.2", "has no port")]
    [TestCase("198.18.1.2:0", "port '0'")]
    [TestCase("198.18.1.2:70000", "port '70000'")]
    [TestCase("198.18.1.2:http", "port 'http'")]
    [TestCase("2001:db8::1:51820", "write it as [address]:port")]
    [TestCase("[198.18.1.2]:51820", "not an IPv6 address")]
    [TestCase("[2001:db8::1]51820", "not '[IPv6]:port'")]
    [TestCase("bad host:51820", "neither an IP address nor a host name")]
    [TestCase("198.18.1:51820", "neither an IP address nor a host name")]
    [TestCase("-bad.example:51820", "neither an IP address nor a host name")]
    public void BadEndpointNamesItsLine(string endpoint, string why)
    {
        var e = Fails(Keys.Config(endpoint));
        Assert.That(e.Message, Does.StartWith($"wg0.conf:8: Endpoint '{endpoint}'").And.Contain(why));
    }

    [TestCase("10.2.0.2/33")]
    [TestCase("10.2.0/24")]
    [TestCase("10.2.0.2/")]
    [TestCase("10.2.0.2/-1")]
    [TestCase("fd00::2/129")]
    [TestCase("fe80::1%eth0/64")]
    [TestCase("vpn")]
    public void BadAddressNamesItsLine(string cidr) =>
        Assert.That(Fails(Keys.Config().Replace("10.2.0.2/32", cidr)).Message, Does.StartWith($"wg0.conf:3: Address entry '{cidr}'"));

    [Test]
    public void BadAllowedIpsNamesItsLine() =>
        Assert.That(Fails(Keys.Config().Replace("::/0", "::/200")).Message, Does.StartWith("wg0.conf:9: AllowedIPs entry '::/200' has a bad prefix length"));

    [Test]
    public void UnknownKeyIsRefusedNamingFileAndLine() =>
        Assert.That(Fails(Keys.Config().Replace("DNS = 10.2.0.1", "Foo = bar")).Message,
            Does.StartWith("wg0.conf:4: unknown key 'Foo' in [Interface]; accepted keys: PrivateKey, Address, DNS, MTU, ListenPort"));

    [Test]
    public void UnknownPeerKeyIsRefused() =>
        Assert.That(Fails(Keys.Config() + "\nEndpiont = x:1\n").Message, Does.StartWith("wg0.conf:10: unknown key 'Endpiont' in [Peer]"));

    [TestCase("PostUp = iptables -A FORWARD -j ACCEPT", "PostUp")]
    [TestCase("PreDown = rm -rf /", "PreDown")]
    public void ShellHooksAreRefused(string line, string key) =>
        Assert.That(Fails(Keys.Config().Replace("DNS = 10.2.0.1", line)).Message,
            Is.EqualTo($"wg0.conf:4: {key} runs a shell command, which tunmux never does; remove the line (tunmux sets up routes and DNS itself)"));

    [Test]
    public void KeyInTheWrongSectionIsRefused()
    {
        Assert.That(Fails(Keys.Config().Replace("DNS = 10.2.0.1", "Endpoint = 198.18.1.2:1")).Message, Does.Contain("Endpoint belongs in a [Peer] section"));
        Assert.That(Fails(Keys.Config() + "\nMTU = 1400\n").Message, Does.Contain("MTU belongs in the [Interface] section"));
    }

    [Test]
    public void StructuralErrorsNameTheLine()
    {
        Assert.That(Fails("PrivateKey = x\n").Message, Does.StartWith("wg0.conf:1: 'PrivateKey' comes before any [Interface] or [Peer] section"));
        Assert.That(Fails(Keys.Config() + "\n[Tunnel]\n").Message, Does.StartWith("wg0.conf:10: unknown section [Tunnel]"));
        Assert.That(Fails(Keys.Config() + "\n[Peer\n").Message, Does.StartWith("wg0.conf:10: section header '[Peer' has no closing ']'"));
        Assert.That(Fails(Keys.Config() + "\njust words\n").Message, Does.StartWith("wg0.conf:10: expected 'Key = Value'"));
        Assert.That(Fails(Keys.Config() + "\nAllowedIPs =\n").Message, Does.StartWith("wg0.conf:10: AllowedIPs has no value"));
        Assert.That(Fails(Keys.Config().Replace("DNS = 10.2.0.1", "PrivateKey = " + Keys.Private)).Message, Does.StartWith("wg0.conf:4: PrivateKey given twice"));
        Assert.That(Fails(Keys.Config() + "\n[Interface]\n").Message, Does.StartWith("wg0.conf:10: a second [Interface] section (the first is at line 1)"));
    }

    [Test]
    public void MissingPartsAreNamed()
    {
        Assert.That(Fails("").Message, Is.EqualTo("wg0.conf: no [Interface] section; a WireGuard config starts with [Interface] and its PrivateKey"));
        Assert.That(Fails($"[Interface]\nPrivateKey = {Keys.Private}\nAddress = 10.2.0.2/32\n").Message, Does.StartWith("wg0.conf: no [Peer] section"));
        Assert.That(Fails($"[Interface]\nPrivateKey = {Keys.Private}\n[Peer]\nPublicKey = {Keys.Public}\nEndpoint = a.b:1\nAllowedIPs = 0.0.0.0/0\n").Message, Does.StartWith("wg0.conf:1: [Interface] has no Address"));
        Assert.That(Fails(Keys.Config().Replace($"PublicKey = {Keys.Public}\n", "")).Message, Does.StartWith("wg0.conf:6: [Peer] has no PublicKey"));
        Assert.That(Fails(Keys.Config().Replace("Endpoint = 198.18.1.2:51820\n", "")).Message, Does.StartWith("wg0.conf:6: [Peer] has no Endpoint"));
        Assert.That(Fails(Keys.Config().Replace("AllowedIPs = 0.0.0.0/0, ::/0", "")).Message, Does.StartWith("wg0.conf:6: [Peer] has no AllowedIPs"));
        Assert.That(Fails(Keys.Config() + "\n" + Keys.Config()[Keys.Config().IndexOf("[Peer]", StringComparison.Ordinal)..]).Message, Does.Contain("same PublicKey as the [Peer] at line 6"));
    }

    [TestCase("MTU = 100", "MTU '100' is not a whole number from 576 to 65535")]
    [TestCase("MTU = 1400.5", "MTU '1400.5'")]
    [TestCase("ListenPort = 65536", "ListenPort '65536'")]
    [TestCase("DNS = 10.2.0.1, not a host", "DNS entry 'not a host'")]
    public void BadNumbersAndDnsAreNamed(string line, string message) =>
        Assert.That(Fails(Keys.Config().Replace("DNS = 10.2.0.1", line)).Message, Does.StartWith("wg0.conf:4: " + message));

    [Test]
    public void BadKeepaliveIsNamed() =>
        Assert.That(Fails(Keys.Config() + "\nPersistentKeepalive = always\n").Message, Does.StartWith("wg0.conf:10: PersistentKeepalive 'always'"));

    [Test]
    public void MissingFileIsAClearError()
    {
        var e = Assert.Throws<WireGuardConfigException>(() => WireGuardConfigParser.ParseFile("/nonexistent/wg9.conf"))!;
        Assert.That(e.Message, Is.EqualTo("/nonexistent/wg9.conf: no such file; give the path of a WireGuard config (wg0.conf)"));
    }

    [Test]
    public void ErrorsAreProviderExceptions() =>
        Assert.That(Fails("x"), Is.InstanceOf<Contracts.ProviderException>());
}
