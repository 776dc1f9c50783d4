using System.Text.Json;
using NUnit.Framework;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>ports, devices, api and sessions through the fake airvpn.org web session.</summary>
public sealed class WebVerbTests : AirVpnFixture
{
    [SetUp]
    public Task Login() => LoginAsync();

    [Test]
    public async Task Ports_add_list_info_check_set_remove()
    {
        Assert.That(await VerbAsync("ports list"), Does.Contain("No forwarded ports."));

        var added = await VerbAsync("ports add", "41234", "--protocol", "udp", "--local", "8080", "--ddns", "myhome.airdns.org");
        Assert.That(added, Does.Contain("Port 41234 forwarded (udp, to local port 8080, myhome.airdns.org)"));
        var port = Account.Ports.Single();
        Assert.That((port.Port, port.Protocol, port.Local, port.Dns), Is.EqualTo((41234, "udp", 8080, "myhome")));

        var table = await VerbAsync("ports list");
        Assert.That(table, Does.Contain("Port | Protocol | Local | Device | Enabled | DDNS"));
        Assert.That(table, Does.Contain("41234 | udp | 8080 | All | yes | myhome.airdns.org"));

        using (var json = JsonDocument.Parse(await VerbAsync("ports list", json: true)))
        {
            var p = json.RootElement[0];
            Assert.That(p.GetProperty("port").GetInt32(), Is.EqualTo(41234));
            Assert.That(p.GetProperty("protocol").GetString(), Is.EqualTo("udp"));
            Assert.That(p.GetProperty("local").GetInt32(), Is.EqualTo(8080));
        }

        var info = await VerbAsync("ports info", "41234");
        Assert.That(info, Does.Contain("Castor | Amsterdam (NL) | UDP | ipv4 | 198.18.10.2"));

        var check = await VerbAsync("ports check", "41234");
        Assert.That(check, Does.Contain("Castor | 198.18.10.2 | UDP | ipv4 | Connection successful to port 41234 (udp) on 198.18.10.2."));

        Assert.That(await VerbAsync("ports set", "41234", "--protocol", "both", "--local", "9090"), Does.Contain("Port 41234 updated"));
        Assert.That((port.Protocol, port.Local), Is.EqualTo(("tcp_udp", 9090)));

        Assert.That(await VerbAsync("ports remove", "41234"), Does.Contain("Port 41234 removed"));
        Assert.That(Account.Ports, Is.Empty);
    }

    [Test]
    public async Task Port_zero_lets_airvpn_pick_the_port()
    {
        var added = await VerbAsync("ports add", "0", "-p", "tcp");
        var port = Account.Ports.Single();
        Assert.That(port.Port, Is.Not.Zero);
        Assert.That(added, Does.Contain($"Port {port.Port} forwarded (tcp)"));
    }

    [Test]
    public async Task Ports_unknown_port_lists_the_forwarded_ones()
    {
        await VerbAsync("ports add", "41234");
        await VerbAsync("ports add", "41235");
        foreach (var verb in new[] { "ports info", "ports check", "ports remove" })
            Assert.That(VerbFails(verb, "5000").Message, Is.EqualTo("airvpn: port 5000 is not forwarded; forwarded ports: 41234, 41235"));
        Assert.That(VerbFails("ports set", "5000", "--local", "1").Message, Does.Contain("forwarded ports: 41234, 41235"));
    }

    [Test]
    public void Bad_ports_and_protocols_are_refused_before_any_request()
    {
        var logins = Fake.State.WebLogins;
        Assert.That(VerbFails("ports add", "65536").Message, Does.Contain("ports are 0-65535"));
        Assert.That(VerbFails("ports info", "0").Message, Does.Contain("bad port '0'; ports are 1-65535"));
        Assert.That(VerbFails("ports add", "41234", "--protocol", "sctp").Message, Does.Contain("bad protocol 'sctp'; use tcp, udp or both"));
        Assert.That(VerbFails("ports add", "41234", "--local", "99999").Message, Does.Contain("bad --local '99999'"));
        Assert.That(VerbFails("ports set", "41234").Message, Does.Contain("nothing to change"));
        Assert.That(Fake.State.WebLogins, Is.EqualTo(logins), "no web request was made");
        Assert.That(Context.Store.Items.ContainsKey("web_session.json"), Is.False);
    }

    [Test]
    public async Task A_port_the_site_refuses_is_one_clear_line()
    {
        await VerbAsync("ports add", "41234");
        Assert.That(VerbFails("ports add", "41234").Message, Is.EqualTo("airvpn: forwarding port 41234 refused by airvpn.org: Port not available"));
        Assert.That(VerbFails("ports add", "80").Message, Does.Contain("Port out of the allowed range"));
    }

    [Test]
    public async Task Devices_list_add_rename_delete()
    {
        var list = await VerbAsync("devices list");
        Assert.That(list, Does.Contain("Name | IPv4 | IPv6 | Public key"));
        Assert.That(list, Does.Contain($"Default | {Account.Devices[0].Ipv4} | - | {Account.Devices[0].PublicKey}"));

        Assert.That(await VerbAsync("devices add", "--name", "Phone"), Does.Contain("Device 'Phone' added"));
        Assert.That(Account.Devices.Select(d => d.Name), Is.EqualTo(new[] { "Default", "Laptop", "Phone" }));
        Assert.That(VerbFails("devices add", "--name", "phone").Message, Does.Contain("exists already"));

        Assert.That(await VerbAsync("devices rename", "phone", "Tablet"), Does.Contain("Device 'Phone' renamed to 'Tablet'"));
        using (var json = JsonDocument.Parse(await VerbAsync("devices list", json: true)))
            Assert.That(json.RootElement.EnumerateArray().Select(d => d.GetProperty("name").GetString()), Is.EqualTo(new[] { "Default", "Laptop", "Tablet" }));

        Assert.That(await VerbAsync("devices delete", "Tablet"), Does.Contain("Device 'Tablet' deleted"));
        Assert.That(VerbFails("devices delete", "Tablet").Message, Is.EqualTo("airvpn: no device named 'Tablet'; devices: Default, Laptop"));
        Assert.That(VerbFails("devices rename", "Nope", "X").Message, Does.Contain("devices: Default, Laptop"));
    }

    [Test]
    public async Task Api_keys_list_add_rename_delete()
    {
        Assert.That(await VerbAsync("api list"), Does.Contain("No API keys."));
        var added = await VerbAsync("api add", "--name", "scripts");
        var key = Account.ApiKeys.Single();
        Assert.That(added, Does.Contain($"API key 'scripts' created; secret: {key.Secret}"));
        Assert.That(Context.Logs.Secrets, Does.Contain(key.Secret));

        var list = await VerbAsync("api list");
        Assert.That(list, Does.Contain("scripts | " + DateTimeOffset.UtcNow.ToString("yyyy-MM-dd")));
        Assert.That(list, Does.Not.Contain(key.Secret), "listings show only the short secret");

        await VerbAsync("api rename", "scripts", "ci");
        Assert.That(key.Name, Is.EqualTo("ci"));
        Assert.That(VerbFails("api delete", "scripts").Message, Is.EqualTo("airvpn: no API key named 'scripts'; keys: ci"));
        await VerbAsync("api delete", "ci");
        Assert.That(Account.ApiKeys, Is.Empty);
    }

    [Test]
    public async Task Sessions_show_traffic_as_table_and_json()
    {
        var table = await VerbAsync("sessions");
        Assert.That(table, Does.Contain("Device | Server | Location | VPN IP | Exit IP | Connected | Sent | Received | Speed up/down"));
        Assert.That(table, Does.Contain("Default | Castor | Amsterdam | 10.2.0.2 | 198.18.10.2 | 1h 15m | 11.8 MiB | 941.9 MiB | 120.0 KiB/s / 2.3 MiB/s"));

        using var json = JsonDocument.Parse(await VerbAsync("sessions", json: true));
        var s = json.RootElement[0];
        Assert.That(s.GetProperty("server_name").GetString(), Is.EqualTo("Castor"));
        Assert.That(s.GetProperty("bytes_read").GetInt64(), Is.EqualTo(987_654_321));
    }

    [Test]
    public async Task The_web_session_is_reused_across_commands_and_processes()
    {
        await VerbAsync("ports list");
        await VerbAsync("devices list");
        Provider = NewProvider(); // a new process restores web_session.json
        await VerbAsync("sessions");
        Assert.That(Fake.State.WebLogins, Is.EqualTo(1));
        Assert.That(Context.Store.Items["web_session.json"], Does.Contain("ips4_IPSSessionFront"));
        AssertNoSecretInLogs();
    }

    [Test]
    public async Task An_expired_web_session_is_renewed_once_without_asking()
    {
        await VerbAsync("ports list");
        Fake.ExpireWebSessions();
        Assert.That(await VerbAsync("ports add", "41234"), Does.Contain("Port 41234 forwarded"));
        Assert.That(Fake.State.WebLogins, Is.EqualTo(2));

        // Expiry seen on a page not visited yet (its token is not cached): the GET is sent to the login form.
        Fake.ExpireWebSessions();
        Provider = NewProvider();
        await VerbAsync("api list");
        Assert.That(Fake.State.WebLogins, Is.EqualTo(3));
        AssertNoSecretInLogs();
    }

    [Test]
    public async Task A_rotated_page_token_is_fetched_again_without_a_new_login()
    {
        await VerbAsync("ports list");
        Fake.RotateCsrfTokens();
        await VerbAsync("ports add", "41234");
        Assert.That(Account.Ports, Has.Count.EqualTo(1));
        Assert.That(Fake.State.WebLogins, Is.EqualTo(1));
    }

    [Test]
    public void A_locked_web_login_is_one_clear_line()
    {
        Account.WebLocked = true;
        var e = VerbFails("ports list");
        Assert.That(e.Message, Does.Contain("has locked the web login of 'labuser'").And.Contain("wait for the lock to expire"));
    }

    [Test]
    public async Task A_changed_password_on_the_site_is_one_clear_line()
    {
        Account.Password = "changed-elsewhere";
        var e = VerbFails("devices list");
        Assert.That(e.Message, Does.Contain("refused the web login of 'labuser'").And.Contain("tunmux airvpn login labuser"));
        await Task.CompletedTask;
    }

    [Test]
    public void Unknown_verbs_are_one_clear_line()
    {
        // The host only hands over classes the plugin declared; anything else is still one line, not a crash.
        var e = Assert.ThrowsAsync<ProviderException>(() =>
            Provider.RunVerbAsync(new VerbInvocation { Path = ["ports", "open"], Options = new object() }, CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("unknown verb 'ports open'"));
    }
}
