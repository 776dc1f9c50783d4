using Tunmux.Contracts;
using Tunmux.Fakes.Kit;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Ivpn.Api;
using Tunmux.Plugins.Ivpn.Servers;

namespace Tunmux.Plugins.Ivpn.Tests;

public sealed class ServersConnectAndFaultTests : IvpnFixture
{
    [Test]
    public async Task Servers_lists_hosts_filtered_by_country_and_city_sorted_by_load_or_name()
    {
        var (byLoad, _) = await Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, false, CancellationToken.None);
        Assert.That(byLoad.Select(h => h.Hostname), Is.EqualTo(new[] { "ch1.wg.ivpn.net", "nl4.wg.ivpn.net", "de1.wg.ivpn.net", "nl3.wg.ivpn.net" }));
        var (dutch, _) = await Service.ServersAsync(new HostFilter("nl", "amsterdam"), ServerSort.Name, false, CancellationToken.None);
        Assert.That(dutch.Select(h => h.Hostname), Is.EqualTo(new[] { "nl3.wg.ivpn.net", "nl4.wg.ivpn.net" }));
        Assert.That(dutch[0].Load, Is.EqualTo(40));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.ServersAsync(new HostFilter("us", null), ServerSort.Load, false, CancellationToken.None))!.Message,
            Does.Contain("country US").And.Contain("CH, DE, NL"));
    }

    [Test]
    public async Task The_server_list_is_cached_for_an_hour()
    {
        await Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, false, CancellationToken.None);
        await Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, false, CancellationToken.None);
        Assert.That(Fake.Requests.Count(r => r == "GET /v5/servers.json"), Is.EqualTo(1));
        await Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, true, CancellationToken.None);
        Assert.That(Fake.Requests.Count(r => r == "GET /v5/servers.json"), Is.EqualTo(2));

        Clock.Now += ServerCatalog.MaxAge + TimeSpan.FromMinutes(1);
        Fake.InjectFault("/v5/servers.json", 503);
        var (rows, result) = await Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, false, CancellationToken.None);
        Assert.That(result.FromCache, Is.True);
        Assert.That(rows, Has.Count.EqualTo(4));
        Assert.That(Context.Logger.Lines, Has.Some.Contains("Using the cached IVPN server list"));
    }

    [Test]
    public void A_malformed_server_list_is_one_line_and_a_bad_host_is_dropped_alone()
    {
        Fake.InjectFault("/v5/servers.json", kind: FaultKind.WrongShape);
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.ServersAsync(new HostFilter(null, null), ServerSort.Load, false, CancellationToken.None))!.Message,
            Does.Contain("cannot be read").And.Contain("no wireguard servers"));

        var json = Servers().Server("xx.wg.ivpn.net", "XX", "Nowhere", "Nowhere", new Fakes.Ivpn.FakeHost("bad", "not-an-ip", KeyA, "172.16.0.1")).Build();
        var list = ServerListParser.Parse(System.Text.Encoding.UTF8.GetBytes(json), "test");
        Assert.That(list.Discarded, Is.EqualTo(1));
        Assert.That(list.Hosts, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Connect_builds_the_profile_as_ivpn_does_with_alternatives_by_load()
    {
        var login = await LoginAsync();
        var plan = await Service.PrepareConnectAsync(null, new HostFilter("nl", null), null, null, CancellationToken.None);
        var profile = plan.Chosen.Profile;
        Assert.That(plan.Chosen.Server.Name, Is.EqualTo("nl4.wg.ivpn.net"), "least loaded");
        Assert.That(profile.PrivateKey, Is.EqualTo(login.Session.PrivateKey));
        Assert.That(profile.Addresses, Is.EqualTo(new[] { Fake.Sessions.Single().Address + "/32" }));
        Assert.That(profile.Dns, Is.EqualTo(new[] { "172.16.0.1" }), "the host's local_ip");
        Assert.That(profile.Peers[0].Endpoint, Is.EqualTo("185.102.218.105:2049"), "IVPN's default port");
        Assert.That(profile.Peers[0].PublicKey, Is.EqualTo(KeyB));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "nl3.wg.ivpn.net" }));

        var any = await Service.PrepareConnectAsync(null, new HostFilter(null, null), 51820, null, CancellationToken.None);
        Assert.That(any.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "nl4.wg.ivpn.net", "de1.wg.ivpn.net", "nl3.wg.ivpn.net" }));
        Assert.That(any.Chosen.Profile.Peers[0].Endpoint, Does.EndWith(":51820"));

        var byGateway = await Service.PrepareConnectAsync("nl.wg.ivpn.net", new HostFilter(null, null), 30600, null, CancellationToken.None);
        Assert.That(byGateway.Chosen.Server.Name, Is.EqualTo("nl4.wg.ivpn.net"));
        Assert.That(byGateway.Chosen.Profile.Peers[0].Endpoint, Does.EndWith(":30600"), "a port inside a published range");

        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync("de1.wg.ivpn.net", new HostFilter(null, null), 1194, null, CancellationToken.None))!.Message,
            Does.Contain("port 1194").And.Contain("2049"));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync("zz9", new HostFilter(null, null), null, null, CancellationToken.None))!.Message,
            Does.Contain("no IVPN WireGuard server is named 'zz9'"));
    }

    [Test]
    public async Task Connect_refuses_an_inactive_account_and_an_ended_session()
    {
        await LoginAsync();
        Fake.Accounts[Account].Active = false;
        Clock.Now += TimeSpan.FromHours(2);
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.PrepareConnectAsync(null, new HostFilter("nl", null), null, null, CancellationToken.None))!.Message,
            Does.Contain("not active").And.Contain("ivpn.net/account"));

        Fake.Accounts[Account].Active = true;
        Assert.That((await Service.PrepareConnectAsync(null, new HostFilter("nl", null), null, null, CancellationToken.None)).Chosen, Is.Not.Null);

        Fake.EndAllSessions();
        Clock.Now += TimeSpan.FromHours(2);
        Assert.That(Assert.ThrowsAsync<IvpnApiException>(() => Service.PrepareConnectAsync(null, new HostFilter("nl", null), null, null, CancellationToken.None))!.Message,
            Does.Contain("session has ended"));
    }

    [Test]
    public async Task A_key_older_than_a_day_is_replaced_on_the_session_before_connecting()
    {
        var login = await LoginAsync();
        Clock.Now += TimeSpan.FromHours(25);
        Context.ReportedSteps.Clear();
        var plan = await Service.PrepareConnectAsync(null, new HostFilter("de", null), null, null, CancellationToken.None);
        Assert.That(Context.ReportedSteps, Is.EqualTo(new[] { "checking the IVPN session and account", "replacing the WireGuard key, which is due", "fetching IVPN's server list" }),
            "what the connect waits for, as its step line shows it");
        var (connected, added) = Fake.KeyChanges.Single();
        Assert.That(connected, Is.EqualTo(login.Session.PublicKey));
        Assert.That(plan.Chosen.Profile.PrivateKey, Is.Not.EqualTo(login.Session.PrivateKey));
        Assert.That(Fake.Sessions.Single().PublicKey, Is.EqualTo(added));
        Assert.That(plan.Chosen.Profile.Addresses[0], Is.EqualTo(Fake.Sessions.Single().Address + "/32"));

        Clock.Now += TimeSpan.FromHours(25);
        Fake.InjectFault("/v4/session/wg/set", 503);
        var kept = await Service.PrepareConnectAsync(null, new HostFilter("de", null), null, null, CancellationToken.None);
        Assert.That(kept.Chosen.Profile.PrivateKey, Is.EqualTo(plan.Chosen.Profile.PrivateKey), "a failed rotation keeps the working key");
        Assert.That(Context.Logger.Lines, Has.Some.Contains("Could not set a new WireGuard key"));
    }

    [Test]
    public void Faults_are_one_line_each()
    {
        Fake.InjectFault("/v4/session/new", 503);
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!.Message,
            Is.EqualTo("the IVPN API failed on v4/session/new (HTTP 503); try again later"));

        Fake.InjectFault("/v4/session/new", 429, headers: new Dictionary<string, string> { ["Retry-After"] = "12" });
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!.Message, Does.Contain("rate-limiting").And.Contain("wait 12 s"));

        Fake.InjectFault("/v4/session/new", kind: FaultKind.Malformed);
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!.Message, Does.Contain("the IVPN API sent an answer tunmux cannot read on v4/session/new"));

        Fake.InjectFault("/v4/session/new", kind: FaultKind.WrongShape);
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!.Message, Does.Contain("cannot read on v4/session/new (no status)"));

        Context.HttpTimeout = TimeSpan.FromMilliseconds(500);
        Fake.InjectFault("/v4/session/new", 200, delay: TimeSpan.FromSeconds(5));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => NewService().LoginAsync(Account, false, null, null, CancellationToken.None))!.Message,
            Does.Contain("did not answer within"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void The_web_site_address_is_checked_like_the_api()
    {
        Context.ConfigValues["web_url"] = "http://www.example.net/";
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.CreateAccountAsync("standard", CancellationToken.None))!.Message,
            Does.Contain("IVPN web site URL").And.Contain("plain http"));
    }
}
