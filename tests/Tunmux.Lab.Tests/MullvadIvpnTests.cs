using System.Text.Json;
using NUnit.Framework;
using Tunmux.Fakes.Ivpn;
using Tunmux.Fakes.Mullvad;
using Tunmux.LabTests.Support;

namespace Tunmux.LabTests;

/// <summary>
/// Mullvad and IVPN through the real CLI and daemon, each against its fake API on the host stand-in's
/// loopback: a Proton, a Mullvad and an IVPN proxy exit side by side, each leaving from its own lab
/// server (its own exit address); then direct mode with each in the namespace that stands in for the host.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MullvadIvpnTests : ProviderLab
{
    private const string MullvadAccount = "1234567890123456";
    private const string IvpnAccount = "i-LABU-SER0-0001";

    protected override string LabName => "tbe2emi";

    protected override int Servers => 3;

    /// <summary>The hostnames start with the lab name, so the instances' namespaces are the lab's to clean.</summary>
    private string MullvadRelay => LabName + "-se-wg-001";

    private string IvpnHost => LabName + "-nl1.wg.ivpn.net";

    private TunmuxSession StartMullvad(TunmuxSession tm)
    {
        var relays = Path.Combine(tm.WorkDir, "mullvad-relays.json");
        File.WriteAllText(relays, new RelayListBuilder { Ipv4Gateway = "10.2.0.1" }
            .Location("se-got", "Sweden", "Gothenburg")
            .Relay(new FakeRelay(MullvadRelay, "se-got", Lab.ExitAddress(2), ServerPublicKey(2)))
            .Build());
        // Tunnel addresses from 10.2.64.0/24, apart from Proton's and IVPN's on the same lab servers; IPv4 only, like the lab.
        var fake = Track(FakeApi.Start(tm.Namespace, "Tunmux.Fakes.Mullvad",
            ["--port", "18082", "--relays", relays, "--account", MullvadAccount, "--address-prefix", "10.2.64", "--no-ipv6",
             "--hook", "sh", WriteAddPeerHook(tm), "{pubkey}", "{address}"]));
        tm.Env["TUNMUX_MULLVAD_API_URL"] = fake.Url;
        AssertOk(tm.TunmuxWithInput(MullvadAccount + "\n", "mullvad", "login", "--account-stdin"), "mullvad login");
        return tm;
    }

    private TunmuxSession StartIvpn(TunmuxSession tm)
    {
        var servers = Path.Combine(tm.WorkDir, "ivpn-servers.json");
        var builder = new ServersJsonBuilder()
            .Server(LabName + "-nl.wg.ivpn.net", "NL", "Netherlands", "Amsterdam", new FakeHost(IvpnHost, Lab.ExitAddress(3), ServerPublicKey(3), "10.2.0.1"));
        builder.WireGuardPorts.Clear();
        builder.WireGuardPorts.Add(new System.Text.Json.Nodes.JsonObject { ["type"] = "UDP", ["port"] = 51820 });
        File.WriteAllText(servers, builder.Build());
        var fake = Track(FakeApi.Start(tm.Namespace, "Tunmux.Fakes.Ivpn",
            ["--port", "18083", "--servers", servers, "--account", IvpnAccount, "--address-prefix", "10.2.96",
             "--hook", "sh", WriteAddPeerHook(tm), "{pubkey}", "{address}"]));
        tm.Env["TUNMUX_IVPN_API_URL"] = fake.Url;
        tm.Env["TUNMUX_IVPN_WEB_URL"] = fake.Url;
        AssertOk(tm.TunmuxWithInput(IvpnAccount + "\n", "ivpn", "login", "--account-stdin"), "ivpn login");
        return tm;
    }

    private TunmuxSession StartProton(TunmuxSession tm)
    {
        var logicals = Path.Combine(tm.WorkDir, "logicals.json");
        File.WriteAllText(logicals, JsonSerializer.Serialize(new { Code = 1000, LogicalServers = new[] { ProtonLogical(1, "DE") } }));
        var fake = Track(FakeApi.Start(tm.Namespace, "Tunmux.Fakes.Proton",
            ["--port", "18080", "--logicals", logicals, "--hook", "sh", WriteAddPeerHook(tm), "{pubkey}", "{address}"]));
        tm.Env["TUNMUX_PROTON_API_URL"] = fake.Url;
        AssertOk(tm.TunmuxWithInput("labpass\n", "proton", "login", "labuser", "--password-stdin"), "proton login");
        return tm;
    }

    private object ProtonLogical(int k, string country) => new
    {
        Name = ServerName(country + "#1"),
        EntryCountry = country,
        ExitCountry = country,
        Domain = "node-de-01.lab",
        Tier = 2,
        Features = 0,
        City = "Frankfurt",
        Score = 1.0,
        ID = "lab" + k,
        Status = 1,
        Load = 10,
        Servers = new[]
        {
            new { EntryIP = Lab.ExitAddress(k), ExitIP = Lab.ExitAddress(k), Domain = "node-de-01.lab", ID = "lab" + k + "p", Label = "0", Status = 1,
                  X25519PublicKey = ServerPublicKey(k) },
        },
    };

    /// <summary>A CLI session; its fakes are tracked before it, so they stop after it has disconnected everything.</summary>
    private TunmuxSession Session(bool direct)
    {
        var tm = new TunmuxSession(Lab, direct);
        _pending.Add(tm);
        return tm;
    }

    private readonly List<TunmuxSession> _pending = [];

    [TearDown]
    public void EndCliSessions()
    {
        // The base class ends the fakes; the sessions (which disconnect) must go first.
        foreach (var tm in _pending) tm.Dispose();
        _pending.Clear();
    }

    [Test]
    public void Mullvad_ivpn_and_proton_proxy_exits_side_by_side_each_with_its_own_exit_address()
    {
        var tm = StartProton(StartIvpn(StartMullvad(Session(direct: false))));
        var plugins = tm.Tunmux("plugins", "--json");
        AssertOk(plugins, "plugins");
        var loaded = JsonDocument.Parse(plugins.Output).RootElement.GetProperty("plugins").EnumerateArray()
            .Where(p => p.GetProperty("state").GetString() == "ok").Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.That(loaded, Is.SupersetOf(new[] { "proton", "airvpn", "mullvad", "ivpn" }), "the installed layout ships the four providers");
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux("mullvad", "connect", "--proxy", "--country", "se"), "mullvad connect");
        AssertOk(tm.Tunmux("ivpn", "connect", "--proxy", "--country", "nl"), "ivpn connect");
        AssertOk(tm.Tunmux("proton", "connect", "--proxy", "--country", "DE"), "proton connect");

        var status = tm.Status();
        Assert.That(status.Select(s => s.GetProperty("provider").GetString()), Is.EquivalentTo(new[] { "mullvad", "ivpn", "proton" }));
        Assert.That(status.All(s => s.GetProperty("alive").GetBoolean()), Is.True);
        string Through(string provider, string kind)
        {
            var row = status.Single(s => s.GetProperty("provider").GetString() == provider);
            return kind == "socks"
                ? tm.Curl("--socks5-hostname", $"127.0.0.1:{row.GetProperty("socks_port").GetInt32()}", Lab.WhoamiByName)
                : tm.Curl("-x", $"http://127.0.0.1:{row.GetProperty("http_port").GetInt32()}", Lab.WhoamiByName);
        }
        Assert.That(Through("proton", "socks"), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(Through("mullvad", "socks"), Is.EqualTo(Lab.ExitAddress(2)), "names resolve through Mullvad's gateway DNS");
        Assert.That(Through("ivpn", "http"), Is.EqualTo(Lab.ExitAddress(3)), "names resolve through the IVPN host's local_ip DNS");
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress), "host traffic is untouched");
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));

        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
        Assert.That(InstanceNamespaces(), Is.Empty);
        Assert.That(tm.Status(), Is.Empty);
    }

    [TestCase("mullvad", 2)]
    [TestCase("ivpn", 3)]
    public void Direct_mode_in_the_host_stand_in_and_back(string provider, int server)
    {
        var tm = Session(direct: true);
        if (provider == "mullvad") StartMullvad(tm);
        else StartIvpn(tm);
        var resolvPath = $"/etc/netns/{Lab.DirectHostNamespace}/resolv.conf";
        var resolvBefore = File.ReadAllBytes(resolvPath);
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux(provider, "connect", provider == "mullvad" ? MullvadRelay : IvpnHost), provider + " direct connect");
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(server)));
        Assert.That(tm.Curl(Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(server)), "names resolve through the provider's DNS in the tunnel");

        AssertOk(tm.Tunmux("disconnect"), "disconnect");
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));
        Assert.That(File.ReadAllBytes(resolvPath), Is.EqualTo(resolvBefore));
    }
}
