using System.Text;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Proton.Tests;

/// <summary>The alternatives a connect hands the daemon for failover, --sort, the certificate's renewal date and refresh.</summary>
public sealed class FailoverAndRefreshTests : ProtonFixture
{
    private Task<ConnectPlan> ConnectAsync(string? name = null, string? country = null, ServerSort? sort = null, params string[] flags) =>
        Provider.PrepareConnectAsync(new ConnectRequest
        {
            ServerName = name, Country = country, Sort = sort, Options = VerbLines.Options<ProtonConnectOptions>(flags),
        }, CancellationToken.None);

    private Task<RefreshResult> RefreshAsync(bool force = false, params string[] instances) =>
        Provider.RefreshAsync(new RefreshRequest
        {
            Force = force,
            Instances = instances.Select(i => KeyValuePair.Create(i, new ServerIdentity("US#2", "US"))).ToList(),
        }, CancellationToken.None);

    [Test]
    public async Task A_chosen_server_comes_with_the_next_best_of_the_same_request_as_complete_profiles()
    {
        await LoginAsync(Plain);
        var plan = await ConnectAsync(country: "US");

        Assert.That(plan.Server.Name, Is.EqualTo("US#2"));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "US#1", "US-FREE#1" }), "score order, same country, Secure Core and Tor left out as for the first");
        var us1 = plan.Alternatives[0].Profile;
        Assert.Multiple(() =>
        {
            Assert.That(us1.PrivateKey, Is.EqualTo(plan.Profile.PrivateKey));
            Assert.That(us1.Peers.Single().Endpoint, Is.EqualTo("198.18.2.2:51820"));
            Assert.That(us1.Peers.Single().PublicKey, Is.EqualTo(TestLogicals.KeyUs1));
            Assert.That(us1.Addresses, Is.EqualTo(plan.Profile.Addresses));
        });
        Assert.That((await ConnectAsync(country: "US", flags: "--p2p")).Alternatives, Is.Empty, "only US#1 is P2P");
    }

    [Test]
    public async Task A_named_server_fails_over_to_its_other_machines_only()
    {
        await LoginAsync(Plain);
        Api.LogicalsJson = Encoding.UTF8.GetBytes(TestLogicals.Json.Replace(
            "{\"ID\":\"p2\",\"EntryIP\":\"198.18.2.1\",\"Label\":\"0\",\"Status\":0",
            "{\"ID\":\"p2\",\"EntryIP\":\"198.18.2.1\",\"Label\":\"0\",\"Status\":1"));
        File.Delete(Path.Combine(Context.CacheDirectory, "manifest.json"));

        var plan = await ConnectAsync("US#1");

        Assert.That(plan.Profile.Peers.Single().Endpoint, Is.EqualTo("198.18.2.1:51820"));
        Assert.That(plan.Alternatives.Select(a => (a.Server.Name, a.Profile.Peers.Single().Endpoint)), Is.EqualTo(new[] { ("US#1", "198.18.2.2:51820") }));
    }

    [TestCase(ServerSort.Load, "US#2")]
    [TestCase(ServerSort.Name, "US#1")]
    [TestCase(ServerSort.Score, "US#2")]
    public async Task Sort_picks_by_its_order(ServerSort sort, string expected)
    {
        await LoginAsync(Plain);
        Assert.That((await ConnectAsync(country: "US", sort: sort)).Server.Name, Is.EqualTo(expected));
    }

    [Test]
    public async Task Sort_latency_picks_the_nearest_measured_entry()
    {
        await LoginAsync(Plain);
        var probe = new ScriptedLatency(new Dictionary<string, TimeSpan>
        {
            ["198.18.3.1"] = TimeSpan.FromMilliseconds(80), // US#2
            ["198.18.2.2"] = TimeSpan.FromMilliseconds(10), // US#1
            ["198.18.1.1"] = TimeSpan.FromMilliseconds(40), // US-FREE#1
        });
        Context.Latency = probe;

        var plan = await ConnectAsync(country: "US", sort: ServerSort.Latency);

        Assert.That(plan.Server.Name, Is.EqualTo("US#1"));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "US-FREE#1", "US#2" }));
        Assert.That(probe.Asked.Select(t => (t.Host, t.Port)), Is.EquivalentTo(new[] { ("198.18.3.1", 51820), ("198.18.2.2", 51820), ("198.18.1.1", 51820) }));
    }

    [Test]
    public async Task Port_forward_hands_the_gateway_to_every_profile()
    {
        await LoginAsync(Plain);
        var plan = await ConnectAsync(country: "US", flags: "--port-forward");
        Assert.That(plan.Profile.PortForwardGateway, Is.EqualTo("10.2.0.1"));
        Assert.That(plan.Alternatives.Select(a => a.Profile.PortForwardGateway), Is.All.EqualTo("10.2.0.1"));
        Assert.That((await ConnectAsync(country: "US")).Profile.PortForwardGateway, Is.Null);
    }

    [Test]
    public async Task The_plan_says_when_the_certificate_is_due()
    {
        await LoginAsync(Plain);
        var plan = await ConnectAsync(country: "US");
        // The fake's certificates live a year and ask to be refreshed after three quarters of it.
        Assert.That(plan.RenewAfter, Is.EqualTo(DateTimeOffset.UtcNow.AddDays(365 * 0.75)).Within(TimeSpan.FromMinutes(5)));
    }

    [Test]
    public async Task Refresh_renews_only_when_due_or_forced_and_says_when_next()
    {
        await LoginAsync(Plain);
        var issued = Api.Certificates.Count;

        var quiet = await RefreshAsync(instances: "us-2");
        Assert.That(quiet.Summary, Is.Null);
        Assert.That(quiet.RenewAfter, Is.GreaterThan(DateTimeOffset.UtcNow.AddDays(200)));
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued));

        Clock.Now = DateTimeOffset.UtcNow.AddDays(300);
        var due = await RefreshAsync(instances: "us-2");
        Assert.That(due.Summary, Does.StartWith("Renewed this device's Proton certificate; valid until "));
        Assert.That(Api.Certificates.Last().Renew, Is.True);
        Assert.That(due.RenewAfter, Is.GreaterThanOrEqualTo(quiet.RenewAfter), "the fake dates certificates by the real clock");

        var forced = await RefreshAsync(force: true);
        Assert.That(forced.Summary, Is.Not.Null);
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued + 2));
    }

    [Test]
    public async Task Refresh_without_a_login_is_nothing_unless_exits_depend_on_it()
    {
        Assert.That(await RefreshAsync(), Is.EqualTo(RefreshResult.NothingDue));
        var ex = Assert.ThrowsAsync<ProviderException>(() => RefreshAsync(instances: "us-2"));
        Assert.That(ex!.Message, Does.StartWith("not logged in to Proton, so the certificate of us-2 cannot be renewed"));
    }
}
