using System.Reflection;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Verbs;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>login, logout, info, servers and connect against the fake encrypted API.</summary>
public sealed class AccountTests : AirVpnFixture
{
    [Test]
    public async Task Login_stores_session_with_device_keys_and_caches_manifest()
    {
        await LoginAsync();

        using var session = JsonDocument.Parse(Context.Store.Items["session.json"]);
        Assert.That(session.RootElement.GetProperty("username").GetString(), Is.EqualTo(User));
        Assert.That(session.RootElement.GetProperty("password").GetString(), Is.EqualTo(Password));
        Assert.That(session.RootElement.GetProperty("keys").GetArrayLength(), Is.EqualTo(2));
        Assert.That(session.RootElement.GetProperty("wg_public_key").GetString(), Is.EqualTo(AccountKey));
        var manifest = File.ReadAllText(Path.Combine(Context.CacheDirectory, "manifest.json"));
        Assert.That(manifest, Does.Contain("Castor").And.Not.Contain(Password));
        Assert.That(Context.Io.OutWriter.ToString(), Does.Contain("Logged in to AirVPN as labuser (2 device key(s), 4 servers)"));
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(2), "act=user then act=manifest");
        AssertNoSecretInLogs();
    }

    [Test]
    public void Login_with_wrong_password_is_one_clear_line()
    {
        var e = Assert.ThrowsAsync<ProviderException>(() => Provider.LoginAsync(
            new LoginRequest { Username = User, Password = "nope", Options = new LoginOptions() }, CancellationToken.None))!;
        AssertOneLine(e);
        Assert.That(e.Message, Does.Contain("refused").And.Contain("Wrong username or password").And.Contain("check the user name and password"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void Login_with_expired_account_is_one_clear_line()
    {
        Account.ExpiresAt = DateTimeOffset.UtcNow.AddDays(-3).ToUnixTimeSeconds();
        var e = Assert.ThrowsAsync<ProviderException>(LoginAsync)!;
        AssertOneLine(e);
        Assert.That(e.Message, Is.EqualTo("airvpn: the account 'labuser' is not active (Your account has expired. Renew your plan to continue); renew the subscription at airvpn.org"));
    }

    [Test]
    public async Task Login_prompts_without_echo_when_no_password_was_given()
    {
        Context.Io.Interactive = true;
        Context.Io.SecretAnswers.Enqueue(Password);
        await Provider.LoginAsync(new LoginRequest { Username = User, Options = new LoginOptions() }, CancellationToken.None);
        Assert.That(Context.Io.ErrorWriter.ToString(), Does.Contain("AirVPN password for labuser"));
        Assert.That(Context.Store.Items, Does.ContainKey("session.json"));
    }

    [Test]
    public void Login_without_password_and_without_terminal_says_how_to_give_one()
    {
        var e = Assert.ThrowsAsync<ProviderException>(() => Provider.LoginAsync(
            new LoginRequest { Username = User, Options = new LoginOptions() }, CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("--password-stdin").And.Contain("TUNMUX_AIRVPN_PASSWORD"));
    }

    [Test]
    public async Task A_bootstrap_server_that_is_down_is_skipped_for_the_next()
    {
        Context.ConfigValues["api_urls"] = new List<string> { $"http://127.0.0.1:{ClosedPort()}", Fake.Url };
        await LoginAsync();
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(2));
    }

    [Test]
    public void When_every_bootstrap_server_is_down_the_error_names_them()
    {
        var port = ClosedPort();
        Context.ConfigValues["api_urls"] = new List<string> { $"http://127.0.0.1:{port}" };
        var e = Assert.ThrowsAsync<ProviderException>(LoginAsync)!;
        AssertOneLine(e);
        Assert.That(e.Message, Does.Contain("no bootstrap server answered").And.Contain($"127.0.0.1:{port}"));
    }

    [Test]
    public void A_request_sealed_with_the_wrong_key_is_refused()
    {
        using var other = RSA.Create(2048);
        var otherFile = Temp.Combine("other.pem");
        File.WriteAllText(otherFile, other.ExportSubjectPublicKeyInfoPem());
        Context.ConfigValues["rsa_key_file"] = otherFile;

        var e = Assert.ThrowsAsync<ProviderException>(LoginAsync)!;
        AssertOneLine(e);
        Assert.That(e.Message, Does.Contain("HTTP 403").And.Contain("rsa_key_file"));
        Assert.That(Fake.State.ApiRefused, Is.EqualTo(1));
        Assert.That(Fake.State.ApiRequests, Is.Zero);
    }

    [Test]
    public async Task Environment_overrides_config_for_api_urls_web_url_and_key_file()
    {
        Context.ConfigValues["api_urls"] = new List<string> { $"http://127.0.0.1:{ClosedPort()}" };
        Context.ConfigValues["rsa_key_file"] = "/nonexistent/key.pem";
        Context.ConfigValues["web_url"] = $"http://127.0.0.1:{ClosedPort()}";
        Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_API_URLS", Fake.Url);
        Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_RSA_KEY_FILE", PublicKeyFile);
        Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_WEB_URL", Fake.Url + "/");
        try
        {
            await LoginAsync();
            await VerbAsync("devices list");
        }
        finally
        {
            Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_API_URLS", null);
            Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_RSA_KEY_FILE", null);
            Environment.SetEnvironmentVariable("TUNMUX_AIRVPN_WEB_URL", null);
        }
        Assert.That(Context.Store.Items.Keys, Is.EquivalentTo(new[] { "session.json", "web_session.json" }));
    }

    [Test]
    public void An_unreadable_key_file_is_one_clear_line()
    {
        File.WriteAllText(Temp.Combine("bad.pem"), "not a key");
        Context.ConfigValues["rsa_key_file"] = Temp.Combine("bad.pem");
        var e = Assert.ThrowsAsync<ProviderException>(LoginAsync)!;
        AssertOneLine(e);
        Assert.That(e.Message, Does.Contain("holds no RSA public key"));
    }

    [Test]
    public async Task Info_shows_account_expiry_and_devices()
    {
        await LoginAsync();
        var info = await Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);
        Assert.That(info.Username, Is.EqualTo(User));
        Assert.That(info.ExpiresAt, Is.GreaterThan(DateTimeOffset.UtcNow.AddDays(300)));
        var details = info.Details.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.That(details["Device keys"], Is.EqualTo("2"));
        Assert.That(details["Device Laptop"], Does.Match(@"^10\.2\.0\.\d+/32$"));
        Assert.That(string.Join(" ", info.Details.Select(d => d.Value)), Does.Not.Contain(Password));
    }

    [Test]
    public void Verbs_before_login_say_to_log_in()
    {
        var e = Assert.ThrowsAsync<ProviderException>(() => Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("not logged in").And.Contain("tunmux airvpn login"));
    }

    [Test]
    public async Task Servers_lists_load_users_and_bandwidth_and_uses_the_cache()
    {
        await LoginAsync();
        var before = Fake.State.ApiRequests;
        var servers = await Provider.ListServersAsync(new ServerQuery { Options = new ServersOptions() }, CancellationToken.None);
        Assert.That(servers.Select(s => s.Name), Is.EquivalentTo(new[] { "Castor", "Pollux", "Vega", "Mira" }));
        var castor = servers.Single(s => s.Name == "Castor");
        Assert.That(castor.Country, Is.EqualTo("NL"));
        Assert.That(castor.City, Is.EqualTo("Amsterdam"));
        Assert.That(castor.Load, Is.EqualTo(4000 / 1000));
        Assert.That(castor.Extra.Single(e => e.Key == "Users").Value, Is.EqualTo("40/250"));
        Assert.That(castor.Extra.Single(e => e.Key == "Bandwidth").Value, Is.EqualTo("20/1000 Mbit/s"));
        Assert.That(servers.Single(s => s.Name == "Mira").Online, Is.False);
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(before), "served from manifest.json");

        await Provider.ListServersAsync(new ServerQuery { Refresh = true, Options = new ServersOptions() }, CancellationToken.None);
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(before + 1), "--refresh fetches act=manifest");
    }

    [Test]
    public async Task Servers_by_country_and_unknown_country_lists_countries()
    {
        await LoginAsync();
        var nl = await Provider.ListServersAsync(new ServerQuery { Country = "NL", Options = new ServersOptions() }, CancellationToken.None);
        Assert.That(nl.Select(s => s.Name), Is.EquivalentTo(new[] { "Castor", "Vega" }));
        var e = Assert.ThrowsAsync<ProviderException>(() => Provider.ListServersAsync(new ServerQuery { Country = "fr", Options = new ServersOptions() }, CancellationToken.None))!;
        AssertOneLine(e);
        Assert.That(e.Message, Does.Contain("no server in country 'fr'; countries: de, nl, us"));
    }

    [Test]
    public async Task Connect_by_name_gives_the_device_key_and_the_server_endpoint()
    {
        await LoginAsync();
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "castor", ProxyMode = true, Options = new ConnectOptions() }, CancellationToken.None);
        var device = Account.Devices[0];
        Assert.That(plan.Server, Is.EqualTo(new ServerIdentity("Castor", "NL", "Amsterdam")));
        Assert.That(plan.Profile.PrivateKey, Is.EqualTo(device.PrivateKey));
        Assert.That(plan.Profile.Addresses, Is.EqualTo(new[] { device.Ipv4 }));
        Assert.That(plan.Profile.Dns, Is.EqualTo(new[] { "10.2.0.1" }));
        var peer = plan.Profile.Peers.Single();
        Assert.That(peer.PublicKey, Is.EqualTo(CastorKey), "the server's own key wins over the account-wide one");
        Assert.That(peer.PresharedKey, Is.EqualTo(device.Preshared));
        Assert.That(peer.Endpoint, Is.EqualTo("198.18.10.2:1637"));
        Assert.That(peer.AllowedIps, Is.EqualTo(new[] { "0.0.0.0/0", "::/0" }));
        Assert.That(plan.Profile.ToString(), Does.Not.Contain(device.PrivateKey));
        Assert.That(Context.Logs.Secrets, Does.Contain(device.PrivateKey));
    }

    [Test]
    public async Task Connect_by_country_picks_the_best_server_and_uses_the_account_key()
    {
        await LoginAsync();
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { Country = "nl", Options = new ConnectOptions() }, CancellationToken.None);
        Assert.That(plan.Server.Name, Is.EqualTo("Vega"), "lower load and users than Castor");
        Assert.That(plan.Profile.Peers[0].PublicKey, Is.EqualTo(AccountKey));
        Assert.That(plan.Profile.Peers[0].Endpoint, Is.EqualTo("198.18.12.2:1637"));
    }

    [Test]
    public async Task Connect_without_country_uses_default_country_and_default_device()
    {
        Context.ConfigValues["default_country"] = "de";
        Context.ConfigValues["default_device"] = "laptop";
        await LoginAsync();
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { Options = new ConnectOptions() }, CancellationToken.None);
        Assert.That(plan.Server.Name, Is.EqualTo("Pollux"));
        Assert.That(plan.Profile.PrivateKey, Is.EqualTo(Account.Devices[1].PrivateKey));
    }

    [Test]
    public async Task Connect_with_key_selects_the_device_and_unknowns_list_what_exists()
    {
        await LoginAsync();
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Castor", Options = VerbLines.Options<AirConnectOptions>("--key", "Laptop") }, CancellationToken.None);
        Assert.That(plan.Profile.PrivateKey, Is.EqualTo(Account.Devices[1].PrivateKey));

        var noKey = Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Castor", Options = VerbLines.Options<AirConnectOptions>("--key", "Phone") }, CancellationToken.None))!;
        AssertOneLine(noKey);
        Assert.That(noKey.Message, Does.Contain("no device (WireGuard key) named 'Phone'; devices: Default, Laptop"));

        var noServer = Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Sirius", Options = new ConnectOptions() }, CancellationToken.None))!;
        AssertOneLine(noServer);
        Assert.That(noServer.Message, Does.Contain("no server named 'Sirius'; servers: Castor, Pollux, Vega, Mira"));

        var closed = Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Mira", Options = new ConnectOptions() }, CancellationToken.None))!;
        Assert.That(closed.Message, Does.Contain("closed (maintenance)"));

        var noCountry = Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(new ConnectRequest { Country = "jp", Options = new ConnectOptions() }, CancellationToken.None))!;
        Assert.That(noCountry.Message, Does.Contain("countries: de, nl, us"));
    }

    [Test]
    public async Task Connect_to_a_server_missing_from_the_cache_refreshes_it_once()
    {
        await LoginAsync();
        Fake.State.Catalog.Servers.Add(new Tunmux.Fakes.AirVpn.CatalogServer { Name = "Sirius", CountryCode = "se", Location = "Stockholm", IpsEntry = ["198.18.14.2"] });
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Sirius", Options = new ConnectOptions() }, CancellationToken.None);
        Assert.That(plan.Profile.Peers[0].Endpoint, Is.EqualTo("198.18.14.2:1637"));
        var requests = Fake.State.ApiRequests;
        Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Nowhere", Options = new ConnectOptions() }, CancellationToken.None));
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(requests + 1), "one refresh, then the list of servers");
    }

    [Test]
    public async Task Connect_with_a_device_added_after_login_asks_the_api_again()
    {
        await LoginAsync();
        await VerbAsync("devices add", "--name", "Phone");
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Castor", Options = VerbLines.Options<AirConnectOptions>("--key", "phone") }, CancellationToken.None);
        Assert.That(plan.Profile.PrivateKey, Is.EqualTo(Account.Devices.Single(d => d.Name == "Phone").PrivateKey));
    }

    [Test]
    public async Task Logout_forgets_session_web_session_and_manifest()
    {
        await LoginAsync();
        await VerbAsync("ports list");
        Assert.That(Context.Store.Items.Keys, Is.EquivalentTo(new[] { "session.json", "web_session.json" }));
        await Provider.LogoutAsync(CancellationToken.None);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(File.Exists(Path.Combine(Context.CacheDirectory, "manifest.json")), Is.False);
    }

    [Test]
    public void Describe_declares_the_verbs_and_their_checks()
    {
        var spec = Provider.Describe();
        Assert.That(spec.Connect, Is.EqualTo(typeof(AirConnectOptions)));
        Assert.That(spec.ConfigKeys, Is.EquivalentTo(new[] { "default_country", "default_device", "api_urls", "web_url", "rsa_key_file" }));
        Assert.That(spec.Verbs.Select(v => v.GetCustomAttribute<CommandLine.VerbAttribute>()!.Name), Is.EqualTo(new[] { "sessions", "ports", "devices", "api", "generate" }));
        var ports = typeof(PortsGroup).GetCustomAttribute<SubverbsAttribute>()!.Verbs;
        Assert.That(ports, Does.Contain(typeof(PortsAdd)).And.Contain(typeof(PortsSet)));
        var port = typeof(PortsAdd).GetProperty(nameof(PortsAdd.Port))!.GetCustomAttribute<System.ComponentModel.DataAnnotations.RangeAttribute>()!;
        Assert.That((port.Minimum, port.Maximum), Is.EqualTo((0, 65535)), "0 lets AirVPN pick the port");
        var gen = VerbLines.Options<GenerateOptions>("-s", "nl", "-s", "be", "-p", "wg-1637", "-o", "x.zip", "-d", "laptop");
        Assert.That((gen.Servers, gen.Protocols, gen.Output, gen.Device), Is.EqualTo((new[] { "nl", "be" }, new[] { "wg-1637" }, "x.zip", "laptop")));
        Assert.That((gen.Entry, gen.Exit, gen.Mtu, gen.Keepalive, gen.Format), Is.EqualTo(((string?)null, (string?)null, (int?)null, (int?)null, (string?)null)), "unset: the verb applies the generator's defaults");
        var layers = VerbLines.Options<GenerateOptions>("-s", "nl", "--entry", "ipv6", "--exit", "both", "--mtu", "1280", "--keepalive", "25", "-f", "tar.gz");
        Assert.That((layers.Entry, layers.Exit, layers.Mtu, layers.Keepalive, layers.Format), Is.EqualTo(("ipv6", "both", (int?)1280, (int?)25, "tar.gz")));
        Assert.That(VerbLines.Invocation(Provider, "api-keys list").Path, Is.EqualTo(new[] { "api", "list" }));
        Assert.That(VerbLines.Invocation(Provider, "ports edit", "8080", "-l", "80").Options, Is.InstanceOf<PortsSet>());
    }

    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
