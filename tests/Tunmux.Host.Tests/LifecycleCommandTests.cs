using System.Text.Json;
using NUnit.Framework;
using Tunmux.Host.State;

namespace Tunmux.Host.Tests;

/// <summary>refresh (and renew), renewal noted in the connection records and said by status, logout refused while exits are up, servers --sort latency.</summary>
[TestFixture]
public sealed class LifecycleCommandTests
{
    private static ConnectionState Record(string instance, string provider = "testgood", DateTimeOffset? renewAfter = null) => new()
    {
        Instance = instance,
        Provider = provider,
        Server = "T#1",
        Mode = "proxy",
        Backend = "kernel",
        Interface = "wg-" + instance,
        Namespace = "tunmux_" + instance,
        SocksPort = 1080,
        HttpPort = 8118,
        ConnectedAt = DateTimeOffset.UtcNow,
        RenewAfter = renewAfter,
    };

    [Test]
    public void Refresh_asks_the_provider_names_its_exits_and_notes_the_next_renewal()
    {
        using var cli = new CliHarness("testgood");
        var store = new ConnectionStore(cli.Paths);
        store.Save(Record("t-1"));
        store.Save(Record("other", provider: "testspy"));

        Assert.That(cli.Run("testgood", "refresh"), Is.Zero, cli.Err);

        Assert.That(cli.Out, Does.Contain("refresh force=False instances=t-1").And.Contain("renewed the test credential"));
        Assert.That(store.Get("t-1")!.RenewAfter, Is.EqualTo(DateTimeOffset.UtcNow.AddDays(7)).Within(TimeSpan.FromMinutes(1)));
        Assert.That(store.Get("other")!.RenewAfter, Is.Null, "another provider's records are not touched");
    }

    [Test]
    public void Renew_is_refresh_and_force_is_passed()
    {
        using var cli = new CliHarness("testgood");
        Assert.That(cli.Run("testgood", "renew", "--force"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("refresh force=True instances="));
        Assert.That(cli.Run("testgood", "refresh"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("Nothing to renew for testgood"));
    }

    [Test]
    public void A_due_renewal_runs_before_any_command_of_the_provider_and_status_says_it_without_the_plugin()
    {
        using var cli = new CliHarness("testgood");
        var store = new ConnectionStore(cli.Paths);
        store.Save(Record("t-1", renewAfter: DateTimeOffset.UtcNow.AddMinutes(-1)));

        Assert.That(cli.Run("status"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("renewal due").And.Contain("Renewal due for testgood: run 'tunmux testgood refresh'"));
        Assert.That(cli.Run("status", "--json"), Is.Zero, cli.Err);
        var row = JsonDocument.Parse(cli.Out).RootElement.GetProperty("connections")[0];
        Assert.That(row.GetProperty("renewal_due").GetBoolean(), Is.True);

        Assert.That(cli.Run("testgood", "info"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("refresh force=False instances=t-1"));
        Assert.That(cli.Err, Does.Contain("renewed the test credential"));
        Assert.That(store.Get("t-1")!.RenewAfter, Is.GreaterThan(DateTimeOffset.UtcNow));

        Assert.That(cli.Run("testgood", "info"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Not.Contain("refresh"), "not due any more");
        Assert.That(cli.Run("status"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Not.Contain("renewal due"));
    }

    [Test]
    public void Logout_refuses_while_exits_of_the_provider_are_up_and_names_them()
    {
        using var cli = new CliHarness("testgood");
        new ConnectionStore(cli.Paths).Save(Record("t-1"));

        Assert.That(cli.Run("testgood", "logout"), Is.EqualTo(1));

        Assert.That(cli.Err.Trim(), Is.EqualTo("error: testgood exits are up: t-1 (T#1); logging out would leave them without credentials; " +
            "take them down with `tunmux testgood disconnect --all`, or log out with --force, which does it first"));
        Assert.That(cli.Out, Does.Not.Contain("logged out"));
    }

    [Test]
    public void Logout_without_exits_goes_to_the_provider()
    {
        using var cli = new CliHarness("testgood");
        new ConnectionStore(cli.Paths).Save(Record("other", provider: "testspy"));
        Assert.That(cli.Run("testgood", "logout"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Contain("logged out"));
    }

    [Test]
    public void Servers_sort_latency_measures_entries_orders_them_and_shows_a_column()
    {
        using var cli = new CliHarness("testgood");
        Assert.That(cli.Run("testgood", "servers", "--sort", "latency"), Is.Zero, cli.Err);
        var lines = cli.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Contain("LATENCY"));
        Assert.That(lines.Skip(1).Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "T#2", "T#3", "T#1" }), "measured (loopback), then given by the provider, then unmeasured");
        Assert.That(lines[3], Does.Contain(" - "));

        Assert.That(cli.Run("testgood", "servers", "--sort", "latency", "--json"), Is.Zero, cli.Err);
        var servers = JsonDocument.Parse(cli.Out).RootElement.GetProperty("servers");
        Assert.That(servers[1].GetProperty("latency_ms").GetDouble(), Is.EqualTo(900));
        Assert.That(servers[2].GetProperty("latency_ms").ValueKind, Is.EqualTo(JsonValueKind.Null));

        Assert.That(cli.Run("testgood", "servers"), Is.Zero, cli.Err);
        Assert.That(cli.Out, Does.Not.Contain("LATENCY"), "no column when nothing was measured");
    }
}
