using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Verbs;
using Tunmux.TestSupport;
using Tunmux.Fakes.AirVpn;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>Bootstrap servers and API key taken from each manifest, manifest freshness, and act=connect, as Eddie does them.</summary>
public sealed class BootstrapTests : AirVpnFixture
{
    protected override int ExtraBootstrapServers => 1;

    private string First => Fake.Urls[0];
    private string Second => Fake.Urls[1];

    private int AnsweredOn(string url) { lock (Fake.State.Lock) return Fake.State.AnsweredOnPort.GetValueOrDefault(new Uri(url).Port); }

    private JsonElement CachedManifest() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Context.CacheDirectory, "manifest.json"))).RootElement;

    private Task<IReadOnlyList<ServerInfo>> ServersAsync(bool refresh = false) =>
        Provider.ListServersAsync(new ServerQuery { Refresh = refresh, Options = new ServersOptions() }, CancellationToken.None);

    [Test]
    public async Task Keeps_working_after_its_first_bootstrap_server_stops_and_the_manifest_rotated_the_key()
    {
        // Only the first server is configured; the manifest announces the second.
        lock (Fake.State.Lock) Fake.State.AnnouncedUrls.Add(Second);
        await LoginAsync();
        Assert.That(CachedManifest().GetProperty("bootstrap_urls").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { Second }));

        // AirVPN rotates its key; the next manifest announces it while the old one still opens requests.
        var next = Fake.NewKey();
        Fake.RotateKey(next);
        await ServersAsync(refresh: true);
        var announced = Convert.ToBase64String(next.ExportParameters(false).Modulus!);
        Assert.That(CachedManifest().GetProperty("rsa_modulus").GetString(), Is.EqualTo(announced));

        // Then the old key is retired and the server the plugin started with stops answering.
        Fake.RetireOldKeys();
        Fake.SetBootstrap(First, Bootstrap.Down);
        var before = AnsweredOn(Second);

        var info = await Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "Castor", Options = new ConnectOptions() }, CancellationToken.None);

        Assert.That(info.Username, Is.EqualTo(User));
        Assert.That(plan.Server.Name, Is.EqualTo("Castor"));
        Assert.That(AnsweredOn(Second), Is.EqualTo(before + 2), "act=user and act=connect on the announced server, sealed with the new key");

        // What the manifest taught matters: with only the configured server and key, nothing answers.
        var fresh = new TestProviderContext(Temp.Combine("cache2"), new Dictionary<string, object>(Context.ConfigValues));
        Directory.CreateDirectory(fresh.CacheDirectory);
        var bare = new AirVpnProvider();
        bare.Initialize(fresh);
        var e = Assert.ThrowsAsync<ProviderException>(() => bare.LoginAsync(new LoginRequest { Username = User, Password = Password, Options = new LoginOptions() }, CancellationToken.None))!;
        Assert.That(e.Message, Does.StartWith("airvpn: no bootstrap server answered"));
    }

    [Test]
    public async Task A_server_answering_an_error_is_followed_by_the_next()
    {
        Context.ConfigValues["api_urls"] = new List<string> { First, Second };
        Fake.SetBootstrap(First, Bootstrap.Failing);
        await LoginAsync();
        Assert.That(AnsweredOn(Second), Is.EqualTo(2));
        Assert.That(AnsweredOn(First), Is.Zero);
    }

    [Test]
    public async Task An_error_attribute_moves_on_too_and_the_first_error_is_reported()
    {
        Context.ConfigValues["api_urls"] = new List<string> { First, Second };
        await LoginAsync();
        lock (Fake.State.Lock) Account.Password = "changed-elsewhere";
        var before = Fake.State.ApiRequests;

        var e = Assert.ThrowsAsync<ProviderException>(() => ServersAsync(refresh: true))!;

        Assert.That(e.Message, Is.EqualTo("airvpn: the API refused the request: Wrong username or password."));
        Assert.That(Fake.State.ApiRequests, Is.EqualTo(before + 2), "both servers were asked");
    }

    [Test]
    public async Task A_manifest_is_refreshed_when_its_next_update_has_passed()
    {
        await LoginAsync();
        var manifests = Fake.State.Acts.Count(a => a == "manifest");

        Clock.Now += TimeSpan.FromMinutes(29);
        await ServersAsync();
        Assert.That(Fake.State.Acts.Count(a => a == "manifest"), Is.EqualTo(manifests), "30 minutes are not over");

        Clock.Now += TimeSpan.FromMinutes(2);
        await ServersAsync();
        Assert.That(Fake.State.Acts.Count(a => a == "manifest"), Is.EqualTo(manifests + 1));
    }

    [Test]
    public async Task Without_next_update_a_manifest_lives_a_day()
    {
        Fake.State.NextUpdateMinutes = null;
        await LoginAsync();
        var manifests = Fake.State.Acts.Count(a => a == "manifest");

        Clock.Now += TimeSpan.FromHours(23);
        await ServersAsync();
        Assert.That(Fake.State.Acts.Count(a => a == "manifest"), Is.EqualTo(manifests));

        Clock.Now += TimeSpan.FromHours(2);
        await ServersAsync();
        Assert.That(Fake.State.Acts.Count(a => a == "manifest"), Is.EqualTo(manifests + 1));
    }

    [Test]
    public async Task A_stale_manifest_is_still_used_with_a_warning_when_no_server_answers()
    {
        await LoginAsync();
        Clock.Now += TimeSpan.FromDays(2);
        Fake.SetBootstrap(First, Bootstrap.Down);

        var servers = await ServersAsync();

        Assert.That(servers.Select(s => s.Name), Does.Contain("Castor"));
        Assert.That(Context.Logs.Lines, Has.Some.StartsWith("airvpn: using the server list from 2 days ago; it could not be refreshed"));
    }
}

/// <summary>act=connect before each connect, the tunnel's MTU and port.</summary>
public sealed class ConnectAnnouncementTests : AirVpnFixture
{
    [SetUp]
    public Task Login() => LoginAsync();

    private Task<ConnectPlan> ConnectAsync(string? server = null, string? country = null, params string[] tokens) =>
        Provider.PrepareConnectAsync(new ConnectRequest { ServerName = server, Country = country, Options = VerbLines.Options<AirConnectOptions>(tokens) }, CancellationToken.None);

    [Test]
    public async Task Each_connect_announces_its_server_first()
    {
        var plan = await ConnectAsync("Castor");
        Assert.That(plan.Server.Name, Is.EqualTo("Castor"));
        Assert.That(Fake.State.Connects, Is.EqualTo(new[] { "Castor" }));
        Assert.That(Fake.State.Acts.Last(), Is.EqualTo("connect"));
    }

    [Test]
    public void A_refusal_is_one_line_with_airvpns_message_and_no_plan()
    {
        Fake.State.ConnectRefusal = ("You have reached the maximum number of simultaneous sessions for your plan.", "stop");
        var e = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("Castor"))!;
        AssertOneLine(e);
        Assert.That(e.Message, Is.EqualTo("airvpn: AirVPN refuses the connection to Castor: You have reached the maximum number of simultaneous sessions for your plan"));
    }

    [Test]
    public void Any_other_action_asks_to_try_again()
    {
        Fake.State.ConnectRefusal = ("Busy", "");
        var e = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("Castor"))!;
        Assert.That(e.Message, Is.EqualTo("airvpn: AirVPN refuses the connection to Castor for now: Busy; try again in a few seconds"));
    }

    [Test]
    public async Task Next_moves_a_chosen_server_to_the_next_ranked_one_but_not_a_named_one()
    {
        lock (Fake.State.Lock) Fake.State.TurnedAway.Add("Vega");
        var plan = await ConnectAsync(country: "nl");
        Assert.That(plan.Server.Name, Is.EqualTo("Castor"));
        Assert.That(Fake.State.Connects, Is.EqualTo(new[] { "Vega", "Castor" }));

        var e = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("Vega"))!;
        Assert.That(e.Message, Is.EqualTo("airvpn: AirVPN refuses the connection to Vega: Server full"));
    }

    [Test]
    public async Task A_failed_announcement_is_a_warning_and_the_connect_goes_on()
    {
        Fake.State.ConnectBroken = true;
        var plan = await ConnectAsync("Castor");
        Assert.That(plan.Server.Name, Is.EqualTo("Castor"));
        Assert.That(Context.Logs.Lines, Has.Some.StartsWith("airvpn: could not announce the connection to Castor (airvpn: the API refused the request: Internal error, retry later.); connecting anyway"));
    }

    [Test]
    public async Task The_tunnel_uses_eddies_mtu_and_the_chosen_wireguard_port()
    {
        var plan = await ConnectAsync("Castor");
        Assert.That(plan.Profile.Mtu, Is.EqualTo(1320));
        Assert.That(plan.Profile.Peers.Single().Endpoint, Is.EqualTo("198.18.10.2:1637"));

        plan = await ConnectAsync("Castor", null, "--port", "47107");
        Assert.That(plan.Profile.Peers.Single().Endpoint, Is.EqualTo("198.18.10.2:47107"));

        var e = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("Castor", null, "--port", "443"))!;
        Assert.That(e.Message, Is.EqualTo("airvpn: no WireGuard mode on port 443; AirVPN offers 1637, 47107, 51820"));
        e = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("Castor", null, "--port", "0"))!;
        Assert.That(e.Message, Does.StartWith("airvpn: --port takes a port number"));
    }
}

/// <summary>generate's options: IP layers, MTU, keepalive, archive formats, and every mode the manifest lists.</summary>
public sealed class GenerateOptionsTests : AirVpnFixture
{
    protected override Catalog MakeCatalog() => base.MakeCatalog() with { AddressPoolV6 = "fd7d:76ee:e68f:a993::" };

    [SetUp]
    public Task Login() => LoginAsync();

    [Test]
    public async Task Entry_exit_mtu_and_keepalive_reach_the_generator()
    {
        var text = await VerbAsync("generate", "--server", "Castor", "--exit", "ipv4", "--mtu", "1280", "--keepalive", "25");
        var config = WireGuardConfig.Parse(text);
        Assert.That(config[0].Values["MTU"], Is.EqualTo("1280"));
        Assert.That(config[0].Values["Address"], Is.EqualTo(Account.Devices[0].Ipv4));
        Assert.That(config[1].Values["AllowedIPs"], Is.EqualTo("0.0.0.0/0"));
        Assert.That(config[1].Values["PersistentKeepalive"], Is.EqualTo("25"));
        Assert.That(Fake.State.GeneratorRequests.Last(), Is.EqualTo("wireguard_3_udp_1637 Castor entry=ipv4 exit=ipv4"));

        text = await VerbAsync("generate", "--server", "Castor");
        Assert.That(WireGuardConfig.Parse(text)[1].Values["AllowedIPs"], Is.EqualTo("0.0.0.0/0, ::/0"), "both families by default");
    }

    [Test]
    public void Bad_option_values_are_refused_before_any_request()
    {
        var calls = Fake.State.GeneratorCalls;
        Assert.That(VerbFails("generate", "--server", "Castor", "--entry", "ipv5").Message, Is.EqualTo("airvpn: --entry takes ipv4 or ipv6, not 'ipv5'"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--exit", "all").Message, Is.EqualTo("airvpn: --exit takes ipv4, ipv6 or both, not 'all'"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--mtu", "100").Message, Is.EqualTo("airvpn: --mtu takes a number from 576 to 9000, not '100'"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--keepalive", "-1").Message, Does.StartWith("airvpn: --keepalive takes a number from 0 to 65535"));
        Assert.That(VerbFails("generate", "--server", "Castor", "--server", "Vega", "--format", "rar").Message, Is.EqualTo("airvpn: --format rar is not supported; use zip, tar, tar.gz"));
        Assert.That(Fake.State.GeneratorCalls, Is.EqualTo(calls));
    }

    [Test]
    public async Task Several_configs_go_to_a_tar_gz_with_private_entries()
    {
        var file = Temp.Combine("out.tar.gz");
        var output = await VerbAsync("generate", "--server", "Castor", "--server", "Vega", "--output", file);
        Assert.That(output, Does.Contain("Wrote 2 configs to " + file));

        await using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        var names = new List<string>();
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name);
            Assert.That(entry.Mode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            using var reader = new StreamReader(entry.DataStream!);
            Assert.That(WireGuardConfig.Parse(await reader.ReadToEndAsync()), Has.Count.EqualTo(2));
        }
        Assert.That(names, Is.EqualTo(new[] { "AirVPN_Castor_wg-1637.conf", "AirVPN_Vega_wg-1637.conf" }));
    }

    [Test]
    public async Task Format_tar_and_zip_are_chosen_by_flag()
    {
        var tarFile = Temp.Combine("configs.bin");
        await VerbAsync("generate", "--server", "Castor", "--server", "Vega", "--output", tarFile, "--format", "tar");
        await using (var tar = new TarReader(File.OpenRead(tarFile)))
            Assert.That((await tar.GetNextEntryAsync())!.Name, Is.EqualTo("AirVPN_Castor_wg-1637.conf"));

        var zipFile = Temp.Combine("configs.zip");
        await VerbAsync("generate", "--server", "Castor", "--server", "Vega", "--output", zipFile);
        using var zip = ZipFile.OpenRead(zipFile);
        Assert.That(zip.Entries.Select(e => (e.ExternalAttributes >> 16) & 0x1FF), Is.All.EqualTo(0x180), "0600 in the archive too");
    }

    [Test]
    public async Task Tunnelled_openvpn_modes_come_as_their_package()
    {
        var file = Temp.Combine("ssl.zip");
        var output = await VerbAsync("generate", "--server", "Castor", "--protocol", "openvpn-ssl-443", "--protocol", "openvpn-ssh-22", "--output", file);

        using var zip = ZipFile.OpenRead(file);
        Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(new[]
        {
            "AirVPN_Castor_openvpn-ssl-443.ovpn", "AirVPN_Castor_openvpn-ssl-443.ssl", "AirVPN_Castor_openvpn-ssh-22.ovpn", "AirVPN_Castor_openvpn-ssh-22.key",
        }));
        Assert.That(Fake.State.GeneratorRequests.TakeLast(2).Select(r => r.Split(' ')[0]), Is.EqualTo(new[] { "openvpn_2_ssl_443", "openvpn_1_ssh_22" }));
        Assert.That(output, Does.Contain("Wrote 4 configs"));
    }
}
