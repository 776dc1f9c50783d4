using System.Text.Json;
using NUnit.Framework;
using Tunmux.LabTests.Support;

namespace Tunmux.LabTests;

/// <summary>
/// The Proton provider against the fake Proton API, run on the host stand-in's loopback, whose
/// logicals point at the lab's servers: login over SRP, certificate (the hook registers the key on
/// the lab servers), two proxy exits by country, and direct mode.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class ProtonTests : ProviderLab
{
    protected override string LabName => "tbe2epr";

    private TunmuxSession StartSession(bool direct = false) => StartWithFake(direct, tm =>
    {
        var logicals = Path.Combine(tm.WorkDir, "logicals.json");
        File.WriteAllText(logicals, JsonSerializer.Serialize(new
        {
            Code = 1000,
            LogicalServers = new[] { ProtonLogical(1, ServerName("NL#1"), "NL", "Amsterdam"), ProtonLogical(2, ServerName("DE#1"), "DE", "Frankfurt") },
        }));
        var fake = FakeApi.Start(tm.Namespace, "Tunmux.Fakes.Proton",
            ["--port", "18080", "--logicals", logicals, "--hook", "sh", WriteAddPeerHook(tm), "{pubkey}", "{address}"]);
        tm.Env["TUNMUX_PROTON_API_URL"] = fake.Url;
        return fake;
    }, tm => AssertOk(tm.TunmuxWithInput("labpass\n", "proton", "login", "labuser", "--password-stdin"), "proton login"));

    [Test]
    public void Two_proxy_exits_by_country_through_the_fake_api()
    {
        var tm = StartSession();
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux("proton", "connect", "--proxy", "--country", "NL"), "proton connect NL");
        AssertOk(tm.Tunmux("proton", "connect", "--proxy", "--country", "DE"), "proton connect DE");

        var status = tm.Status();
        Assert.That(status.Select(s => s.GetProperty("instance").GetString()),
            Is.EquivalentTo(new[] { Instance(ServerName("NL#1")), Instance(ServerName("DE#1")) }));
        Assert.That(status.All(s => s.GetProperty("alive").GetBoolean()), Is.True);
        var nl = status.Single(s => s.GetProperty("instance").GetString() == Instance(ServerName("NL#1")));
        var de = status.Single(s => s.GetProperty("instance").GetString() == Instance(ServerName("DE#1")));

        Assert.That(tm.Curl("--socks5-hostname", $"127.0.0.1:{nl.GetProperty("socks_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Curl("-x", $"http://127.0.0.1:{de.GetProperty("http_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress));
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));

        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
        Assert.That(InstanceNamespaces(), Is.Empty);
        Assert.That(tm.Status(), Is.Empty);
    }

    [Test]
    public void Direct_mode_through_the_fake_api_and_back()
    {
        var tm = StartSession(direct: true);
        var resolvPath = $"/etc/netns/{Lab.DirectHostNamespace}/resolv.conf";
        var resolvBefore = File.ReadAllBytes(resolvPath);
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux("proton", "connect", "--country", "DE"), "proton direct connect");
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(2)));
        Assert.That(tm.Curl(Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)), "names resolve through the VPN's DNS (10.2.0.1)");

        AssertOk(tm.Tunmux("disconnect"), "disconnect");
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));
        Assert.That(File.ReadAllBytes(resolvPath), Is.EqualTo(resolvBefore));
    }
}
