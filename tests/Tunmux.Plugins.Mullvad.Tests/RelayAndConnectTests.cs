using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Relays;

namespace Tunmux.Plugins.Mullvad.Tests;

public sealed class RelayAndConnectTests : MullvadFixture
{
    [Test]
    public async Task Servers_lists_active_wireguard_relays_filtered_and_sorted()
    {
        var (all, _) = await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        Assert.That(all.Select(r => r.Hostname), Is.EqualTo(new[] { "nl-ams-wg-001", "se-got-wg-001", "se-got-wg-002", "se-sto-wg-001", "se-sto-wg-009" }));

        var (swedish, _) = await Service.ServersAsync(new RelayFilter("se", null), ServerSort.Score, false, CancellationToken.None);
        Assert.That(swedish[0].Hostname, Is.EqualTo("se-got-wg-002"), "score sorts by Mullvad's weight, highest first");
        Assert.That(swedish[1].Owned, Is.True);
        Assert.That(swedish.Single(r => r.Hostname == "se-got-wg-002").Provider, Is.EqualTo("M247"));

        var (byName, _) = await Service.ServersAsync(new RelayFilter("SE", "Stockholm"), ServerSort.Name, false, CancellationToken.None);
        var (byCode, _) = await Service.ServersAsync(new RelayFilter("se", "sto"), ServerSort.Name, false, CancellationToken.None);
        Assert.That(byName.Select(r => r.Hostname), Is.EqualTo(byCode.Select(r => r.Hostname)).And.EqualTo(new[] { "se-sto-wg-001", "se-sto-wg-009" }));
    }

    [Test]
    public void An_unknown_country_names_the_countries_with_relays()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.ServersAsync(new RelayFilter("zz", null), ServerSort.Name, false, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("country ZZ").And.Contain("NL, SE"));
    }

    [Test]
    public async Task The_relay_list_is_cached_for_an_hour_and_refreshed_with_its_etag()
    {
        await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        Assert.That(Fake.Requests.Count(r => r == "GET /app/v1/relays"), Is.EqualTo(1), "the second listing comes from the cache");

        var (_, refreshed) = await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, true, CancellationToken.None);
        Assert.That(Fake.Requests.Count(r => r == "GET /app/v1/relays"), Is.EqualTo(2));
        Assert.That(Fake.LastHeaders["GET /app/v1/relays"].IfNoneMatch.ToString(), Does.StartWith("\""), "the cached copy's ETag is sent");
        Assert.That(refreshed.FromCache, Is.True, "304: the cached copy is still current");

        File.SetLastWriteTimeUtc(Path.Combine(Context.CacheDirectory, "relays.json"), DateTime.UtcNow - RelayCatalog.MaxAge - TimeSpan.FromMinutes(1));
        Fake.RelaysJson = Relays().Relay(new Fakes.Mullvad.FakeRelay("nl-ams-wg-003", "nl-ams", "193.32.249.70", KeyC)).Build();
        var (rows, fresh) = await Service.ServersAsync(new RelayFilter("nl", null), ServerSort.Name, false, CancellationToken.None);
        Assert.That(fresh.FromCache, Is.False);
        Assert.That(rows.Select(r => r.Hostname), Does.Contain("nl-ams-wg-003"));
    }

    [Test]
    public async Task A_failed_refresh_uses_the_cached_list_with_a_warning_and_a_malformed_list_never_replaces_it()
    {
        await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        File.SetLastWriteTimeUtc(Path.Combine(Context.CacheDirectory, "relays.json"), DateTime.UtcNow.AddHours(-2));
        Fake.InjectFault("/app/v1/relays", 503);
        var (rows, result) = await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        Assert.That(result.FromCache, Is.True);
        Assert.That(rows, Has.Count.EqualTo(5));
        Assert.That(Context.Logger.Lines, Has.Some.Contains("Using the cached Mullvad relay list"));

        Fake.InjectFault("/app/v1/relays", kind: Fakes.Kit.FaultKind.WrongShape);
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, true, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("cannot be read").And.Contain("no wireguard or locations section"));
        Assert.That(File.ReadAllText(Path.Combine(Context.CacheDirectory, "relays.json")), Does.Contain("se-got-wg-001"));
    }

    [Test]
    public void A_malformed_relay_entry_is_discarded_alone()
    {
        var json = Relays().Relay(new Fakes.Mullvad.FakeRelay("bad-key", "se-got", "185.213.154.99", "not-a-key")).Build();
        var list = RelayListParser.Parse(System.Text.Encoding.UTF8.GetBytes(json), "test");
        Assert.That(list.Discarded, Is.EqualTo(1));
        Assert.That(list.Relays, Has.Count.EqualTo(6));
        Assert.That(list.Ports.Allows(51820), Is.True);
        Assert.That(list.Ports.Allows(51821), Is.False);
    }

    [Test]
    public async Task Connect_builds_the_profile_from_the_device_and_the_relay_list()
    {
        var login = await LoginAsync();
        var plan = await Service.PrepareConnectAsync("se-got-wg-001", new RelayFilter(null, null), null, null, CancellationToken.None);

        var profile = plan.Chosen.Profile;
        var device = Fake.Accounts[Account].Devices.Values.Single();
        Assert.That(plan.Chosen.Server.Name, Is.EqualTo("se-got-wg-001"));
        Assert.That(plan.Chosen.Server.Country, Is.EqualTo("SE"));
        Assert.That(profile.PrivateKey, Is.EqualTo(login.Session.PrivateKey));
        Assert.That(profile.Addresses, Is.EqualTo(new[] { device.Ipv4Address, device.Ipv6Address }));
        Assert.That(profile.Dns, Is.EqualTo(new[] { "10.64.0.1", "fc00:bbbb:bbbb:bb01::1" }));
        Assert.That(profile.Peers.Single().Endpoint, Is.EqualTo("185.213.154.66:51820"));
        Assert.That(profile.Peers.Single().PublicKey, Is.EqualTo(KeyA));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "se-got-wg-002" }), "a named relay's alternatives are its city's");
    }

    [Test]
    public async Task Connect_by_country_gives_up_to_three_alternatives_in_the_same_country()
    {
        await LoginAsync();
        var plan = await Service.PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None);
        var names = new[] { plan.Chosen.Server.Name }.Concat(plan.Alternatives.Select(a => a.Server.Name)).ToList();
        Assert.That(names, Is.EquivalentTo(new[] { "se-got-wg-001", "se-got-wg-002", "se-sto-wg-001" }),
            "active, in the country, not excluded from country-wide choices");
        Assert.That(plan.Alternatives.All(a => a.Profile.PrivateKey == plan.Chosen.Profile.PrivateKey), Is.True, "complete profiles");

        var city = await Service.PrepareConnectAsync(null, new RelayFilter("se", "sto"), null, null, CancellationToken.None);
        Assert.That(new[] { city.Chosen.Server.Name }.Concat(city.Alternatives.Select(a => a.Server.Name)),
            Is.EquivalentTo(new[] { "se-sto-wg-001", "se-sto-wg-009" }), "by city, a relay kept out of country-wide choices counts");
    }

    [Test]
    public async Task Port_must_be_one_the_relays_accept()
    {
        await LoginAsync();
        var plan = await Service.PrepareConnectAsync("nl-ams-wg-001", new RelayFilter(null, null), 53, null, CancellationToken.None);
        Assert.That(plan.Chosen.Profile.Peers[0].Endpoint, Is.EqualTo("193.32.249.66:53"));
        Assert.That(plan.Alternatives, Is.Empty);
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync(null, new RelayFilter("nl", null), 51821, null, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("port 51821").And.Contain("33565-51820"));
    }

    [Test]
    public async Task An_inactive_or_unknown_relay_is_refused_by_name()
    {
        await LoginAsync();
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync("nl-ams-wg-002", new RelayFilter(null, null), null, null, CancellationToken.None))!.Message,
            Does.Contain("not active"));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync("xx-yyy-wg-001", new RelayFilter(null, null), null, null, CancellationToken.None))!.Message,
            Does.Contain("no Mullvad WireGuard relay is named"));
    }

    [Test]
    public async Task Connect_with_an_expired_account_is_refused_with_the_date_and_where_to_add_time()
    {
        await LoginAsync();
        Fake.Accounts[Account].Expiry = DateTimeOffset.UtcNow.AddDays(-2);
        await Service.InfoAsync(CancellationToken.None);
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("no time left").And.Contain(MullvadService.Day(Fake.Accounts[Account].Expiry)).And.Contain("mullvad.net/account"));

        Fake.Accounts[Account].Expiry = DateTimeOffset.UtcNow.AddDays(30);
        Assert.That((await Service.PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None)).Chosen, Is.Not.Null,
            "time added since is seen at the next connect");
    }

    [Test]
    public async Task Connect_with_a_device_removed_elsewhere_says_to_log_in_again()
    {
        await LoginAsync();
        Fake.Accounts[Account].Devices.Clear();
        var stored = System.Text.Json.Nodes.JsonNode.Parse(Context.Store.Items[Tunmux.Plugins.Mullvad.Account.SessionStore.Item])!;
        stored["device_checked_at"] = DateTimeOffset.UtcNow.AddHours(-2).ToString("O");
        Context.Store.Items[Tunmux.Plugins.Mullvad.Account.SessionStore.Item] = stored.ToJsonString();
        var ex = Assert.ThrowsAsync<Api.MullvadApiException>(() => NewService().PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("no longer on the Mullvad account"));
    }

    [Test]
    public async Task A_key_older_than_thirty_days_is_replaced_on_the_device_before_connecting()
    {
        var login = await LoginAsync();
        AgeStoredKey(TimeSpan.FromDays(31));
        Context.ReportedSteps.Clear();
        var plan = await NewService().PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None);
        Assert.That(Context.ReportedSteps, Is.EqualTo(new[] { "replacing the device's WireGuard key (due every 30 days)", "fetching Mullvad's relay list" }),
            "what the connect waits for, as its step line shows it");
        var device = Fake.Accounts[Account].Devices.Values.Single();
        Assert.That(device.Id, Is.EqualTo(login.Session.DeviceId), "the same device, with a new key");
        Assert.That(device.Pubkey, Is.Not.EqualTo(login.Session.PublicKey));
        Assert.That(plan.Chosen.Profile.PrivateKey, Is.Not.EqualTo(login.Session.PrivateKey));
        Assert.That(plan.Chosen.Profile.Addresses[0], Is.EqualTo(device.Ipv4Address));
        Assert.That(Fake.Requests, Does.Contain($"PUT /accounts/v1/devices/{device.Id}/pubkey"));

        AgeStoredKey(TimeSpan.FromDays(31));
        Fake.InjectFault($"/accounts/v1/devices/{device.Id}/pubkey", 503);
        var kept = await NewService().PrepareConnectAsync(null, new RelayFilter("se", null), null, null, CancellationToken.None);
        Assert.That(kept.Chosen.Profile.PrivateKey, Is.EqualTo(plan.Chosen.Profile.PrivateKey), "a failed rotation keeps the working key");
        Assert.That(Context.Logger.Lines, Has.Some.Contains("Could not replace the WireGuard key"));
    }

    private void AgeStoredKey(TimeSpan age)
    {
        var stored = System.Text.Json.Nodes.JsonNode.Parse(Context.Store.Items[Tunmux.Plugins.Mullvad.Account.SessionStore.Item])!;
        stored["key_created"] = DateTimeOffset.UtcNow.Subtract(age).ToString("O");
        Context.Store.Items[Tunmux.Plugins.Mullvad.Account.SessionStore.Item] = stored.ToJsonString();
    }
}
