using System.Text.Json;
using NUnit.Framework;
using Tunmux.LabTests.Support;

namespace Tunmux.LabTests;

/// <summary>
/// The AirVPN provider against the fake AirVPN (encrypted bootstrap API and web site) on the host
/// stand-in's loopback, whose servers are the lab's: login, a server by name and one by country.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AirVpnTests : ProviderLab
{
    protected override string LabName => "tbe2eav";

    private TunmuxSession StartSession() => StartWithFake(direct: false, tm =>
    {
        var servers = Path.Combine(tm.WorkDir, "servers.json");
        File.WriteAllText(servers, JsonSerializer.Serialize(new
        {
            wg_public_key = "",
            dns_ipv4 = "10.2.0.1",
            address_pool = "10.2.0.0/16",
            accounts = new[] { new { username = "labuser", password = "labpass", devices = new[] { "Default" } } },
            servers = new[] { Server(1, "Castor", "nl", "Amsterdam"), Server(2, "Pollux", "de", "Frankfurt") },
            modes = new[] { new { type = "wireguard", protocol = "UDP", port = 51820, entry_index = 0 } },
        }));
        var publicKey = Path.Combine(tm.WorkDir, "airvpn-rsa.pub.pem");
        var fake = FakeApi.Start(tm.Namespace, "Tunmux.Fakes.AirVpn",
            ["--port", "18081", "--servers", servers, "--public-key-out", publicKey, "--hook", "sh", "--hook", WriteAddPeerHook(tm)],
            extraLines: 1);
        tm.Env["TUNMUX_AIRVPN_API_URLS"] = fake.Url;
        tm.Env["TUNMUX_AIRVPN_WEB_URL"] = fake.Url;
        tm.Env["TUNMUX_AIRVPN_RSA_KEY_FILE"] = publicKey;
        return fake;
    }, tm => AssertOk(tm.TunmuxWithInput("labpass\n", "airvpn", "login", "labuser", "--password-stdin"), "airvpn login"));

    private object Server(int k, string name, string country, string location) => new
    {
        name,
        country_code = country,
        location,
        ips_entry = new[] { Lab.ExitAddress(k) },
        wg_public_key = ServerPublicKey(k),
        bw = 1000,
        bw_max = 1000,
        users = 10 * k,
        users_max = 250,
        warning_closed = "",
    };

    [Test]
    public void A_server_by_name_and_one_by_country_give_two_proxy_exits()
    {
        var tm = StartSession();
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux("airvpn", "connect", "--proxy", "Castor"), "airvpn connect Castor");
        AssertOk(tm.Tunmux("airvpn", "connect", "--proxy", "--country", "de"), "airvpn connect --country de");

        var status = tm.Status();
        Assert.That(status.Select(s => s.GetProperty("instance").GetString()), Is.EquivalentTo(new[] { "castor", "pollux" }));
        Assert.That(status.All(s => s.GetProperty("alive").GetBoolean()), Is.True);
        var castor = status.Single(s => s.GetProperty("instance").GetString() == "castor");
        var pollux = status.Single(s => s.GetProperty("instance").GetString() == "pollux");

        Assert.That(tm.Curl("--socks5-hostname", $"127.0.0.1:{castor.GetProperty("socks_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Curl("-x", $"http://127.0.0.1:{pollux.GetProperty("http_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress));
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));

        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
        Assert.That(TestSupport.Lab.Lab.NamespaceExists("tunmux_castor") || TestSupport.Lab.Lab.NamespaceExists("tunmux_pollux"), Is.False);
        Assert.That(tm.Status(), Is.Empty);
    }
}
