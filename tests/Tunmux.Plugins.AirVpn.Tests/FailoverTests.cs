using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Verbs;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>Alternatives for failover, --sort, the rows' entries, and the announcement of a server the daemon failed over to.</summary>
public sealed class FailoverTests : AirVpnFixture
{
    [SetUp]
    public Task Login() => LoginAsync();

    private Task<ConnectPlan> ConnectAsync(string? server = null, string? country = null, ServerSort? sort = null) =>
        Provider.PrepareConnectAsync(new ConnectRequest { ServerName = server, Country = country, Sort = sort, Options = VerbLines.Options<AirConnectOptions>() }, CancellationToken.None);

    [Test]
    public async Task A_chosen_server_comes_with_the_next_of_its_country_as_complete_profiles()
    {
        var plan = await ConnectAsync(country: "nl");
        Assert.That(plan.Server.Name, Is.EqualTo("Vega"));
        var alternative = plan.Alternatives.Single();
        Assert.That(alternative.Server, Is.EqualTo(new ServerIdentity("Castor", "NL", "Amsterdam")));
        Assert.That(alternative.Profile.Peers.Single().Endpoint, Is.EqualTo("198.18.10.2:1637"));
        Assert.That(alternative.Profile.Peers.Single().PublicKey, Is.EqualTo(CastorKey));
        Assert.That(alternative.Profile.PrivateKey, Is.EqualTo(plan.Profile.PrivateKey));
        Assert.That(alternative.Profile.Mtu, Is.EqualTo(1320));
    }

    [Test]
    public async Task A_named_server_fails_over_within_its_country()
    {
        var plan = await ConnectAsync("Castor");
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "Vega" }));
        Assert.That((await ConnectAsync("Pollux")).Alternatives, Is.Empty, "Pollux is alone in de");
    }

    [TestCase(ServerSort.Name, "Castor")]
    [TestCase(ServerSort.Load, "Vega")]
    [TestCase(ServerSort.Score, "Vega")]
    public async Task Sort_picks_by_its_order(ServerSort sort, string expected) =>
        Assert.That((await ConnectAsync(country: "nl", sort: sort)).Server.Name, Is.EqualTo(expected));

    [Test]
    public async Task Sort_latency_picks_the_nearest_entry()
    {
        Context.Latency = new ScriptedLatency(new Dictionary<string, TimeSpan>
        {
            ["198.18.10.2"] = TimeSpan.FromMilliseconds(5),
            ["198.18.12.2"] = TimeSpan.FromMilliseconds(50),
        });
        var plan = await ConnectAsync(country: "nl", sort: ServerSort.Latency);
        Assert.That(plan.Server.Name, Is.EqualTo("Castor"));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "Vega" }));
    }

    [Test]
    public async Task Servers_rows_name_their_entry_and_sort()
    {
        var rows = await Provider.ListServersAsync(new ServerQuery { Country = "nl", Sort = ServerSort.Name, Options = VerbLines.Options<AirServersOptions>() }, CancellationToken.None);
        Assert.That(rows.Select(r => (r.Name, r.EntryHost, r.EntryPort)), Is.EqualTo(new[] { ("Castor", "198.18.10.2", (int?)1637), ("Vega", "198.18.12.2", (int?)1637) }));
        rows = await Provider.ListServersAsync(new ServerQuery { Country = "nl", Sort = ServerSort.Score, Options = VerbLines.Options<AirServersOptions>() }, CancellationToken.None);
        Assert.That(rows.Select(r => r.Name), Is.EqualTo(new[] { "Vega", "Castor" }));
    }

    private static ServerChange Moved(string to) => new("vega", new ServerIdentity("Vega", "NL"), new ServerIdentity(to, "NL"));

    [Test]
    public async Task A_failover_is_announced_with_act_connect()
    {
        await Provider.OnServerChangedAsync(Moved("Castor"), CancellationToken.None);
        Assert.That(Fake.State.Connects, Is.EqualTo(new[] { "Castor" }));
        Assert.That(Context.Logs.Lines, Has.None.StartsWith("airvpn: AirVPN objects"));
    }

    [Test]
    public async Task An_objection_or_a_failed_announcement_is_a_warning()
    {
        Fake.State.ConnectRefusal = ("Too many sessions", "stop");
        await Provider.OnServerChangedAsync(Moved("Castor"), CancellationToken.None);
        Assert.That(Context.Logs.Lines, Has.Some.EqualTo("airvpn: AirVPN objects to Castor, where exit vega moved: Too many sessions"));

        Fake.State.ConnectBroken = true;
        await Provider.OnServerChangedAsync(Moved("Castor"), CancellationToken.None);
        Assert.That(Context.Logs.Lines, Has.Some.StartsWith("airvpn: could not tell AirVPN that exit vega moved to Castor"));
    }
}
