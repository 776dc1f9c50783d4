using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class ServersTests : ProtonFixture
{
    private async Task<List<string>> NamesAsync(string? country = null, bool refresh = false, params string[] flags)
    {
        var rows = await Provider.ListServersAsync(new ServerQuery { Country = country, Refresh = refresh, Options = VerbLines.Options<ProtonServersOptions>(flags) }, CancellationToken.None);
        return rows.Select(r => r.Name).ToList();
    }

    [Test]
    public async Task Sorted_by_score_then_load_without_secure_core_or_tor_by_default()
    {
        Assert.That(await NamesAsync("us"), Is.EqualTo(new[] { "US#3", "US#2", "US#1", "US-FREE#1" }));
    }

    [Test]
    public async Task Feature_and_tier_filters()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await NamesAsync(null, false, "--p2p"), Is.EqualTo(new[] { "US#1", "NL#1" }));
            Assert.That(await NamesAsync(null, false, "--free"), Is.EqualTo(new[] { "NL-FREE#1", "US-FREE#1" }));
            Assert.That(await NamesAsync("US", false, "--secure-core"), Is.EqualTo(new[] { "CH-US#1" }));
            Assert.That(await NamesAsync("US", false, "--tor"), Is.EqualTo(new[] { "US-TOR#1" }));
            Assert.That(await NamesAsync("US", false, "--streaming"), Is.EqualTo(new[] { "US#2" }));
            Assert.That(await NamesAsync("US", false, "--city", "chicago"), Is.EqualTo(new[] { "US#3", "US#2" }));
        });
    }

    [Test]
    public async Task Rows_show_availability_for_the_account_tier_and_maintenance()
    {
        await LoginAsync(Free);
        var rows = await Provider.ListServersAsync(new ServerQuery { Country = "US", Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None);
        var byName = rows.ToDictionary(r => r.Name);
        Assert.Multiple(() =>
        {
            Assert.That(byName["US-FREE#1"].Available, Is.True);
            Assert.That(byName["US#1"].Available, Is.False);
            Assert.That(byName["US#3"].Online, Is.False);
            Assert.That(byName["US#1"].Features, Is.EqualTo(new[] { "p2p" }));
            Assert.That(byName["US-FREE#1"].Features, Is.EqualTo(new[] { "free" }));
            Assert.That(byName["US#1"].Extra, Does.Contain(new KeyValuePair<string, string>("Tier", "plus")));
        });
    }

    [Test]
    public async Task Manifest_is_cached_with_its_age_and_refetched_when_old_or_on_refresh()
    {
        await NamesAsync();
        await NamesAsync();
        Assert.That(Requests().Count(r => r.StartsWith("GET /vpn/v1/logicals", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(Context.Logger.Lines.Any(l => l.Contains("from cache", StringComparison.Ordinal)), Is.True);

        await NamesAsync(refresh: true);
        Assert.That(Requests().Count(r => r.StartsWith("GET /vpn/v1/logicals", StringComparison.Ordinal)), Is.EqualTo(2));

        File.SetLastWriteTimeUtc(Path.Combine(Context.CacheDirectory, "manifest.json"), DateTime.UtcNow.AddHours(-4));
        await NamesAsync();
        Assert.That(Requests().Count(r => r.StartsWith("GET /vpn/v1/logicals", StringComparison.Ordinal)), Is.EqualTo(3));
    }

    [Test]
    public async Task Stale_cache_is_used_with_a_warning_when_the_api_fails()
    {
        await NamesAsync();
        File.SetLastWriteTimeUtc(Path.Combine(Context.CacheDirectory, "manifest.json"), DateTime.UtcNow.AddHours(-4));
        Api.InjectFault("/vpn/v1/logicals", 502);
        Assert.That(await NamesAsync("NL"), Has.Count.EqualTo(2));
        Assert.That(Context.Logger.Lines.Any(l => l.StartsWith("WRN Using the cached", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public void Unknown_country_suggests_close_codes()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => NamesAsync("UX"));
        Assert.That(ex!.Message, Does.StartWith("Proton has no server in country 'UX'; close codes: US"));
    }

    [Test]
    public void Empty_filter_suggests_close_matches()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => NamesAsync("NL", false, "--streaming"));
        Assert.That(ex!.Message, Is.EqualTo("no Proton server matches --country NL --streaming; close matches: NL#1, NL-FREE#1"));
    }

    [Test]
    public async Task Rows_hold_no_secrets()
    {
        await LoginAsync(Plain);
        var rows = await Provider.ListServersAsync(new ServerQuery { Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None);
        Context.Terminal.WriteJson(rows);
        var json = Context.Terminal.OutWriter.ToString();
        foreach (var secret in Context.Logger.Secrets) Assert.That(json, Does.Not.Contain(secret));
    }

    [Test]
    public async Task Rows_name_the_entry_the_host_measures_for_latency()
    {
        await LoginAsync(Plain);
        var rows = await Provider.ListServersAsync(new ServerQuery { Country = "US", Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None);
        var us1 = rows.Single(r => r.Name == "US#1");
        Assert.That((us1.EntryHost, us1.EntryPort), Is.EqualTo(("198.18.2.2", (int?)51820)));
    }

    [TestCase(ServerSort.Load, new[] { "US#3", "US#2", "US-FREE#1", "US#1" })]
    [TestCase(ServerSort.Name, new[] { "US#1", "US#2", "US#3", "US-FREE#1" })]
    public async Task Sort_orders_the_rows(ServerSort sort, string[] expected)
    {
        await LoginAsync(Plain);
        var rows = await Provider.ListServersAsync(new ServerQuery { Country = "US", Sort = sort, Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None);
        Assert.That(rows.Select(r => r.Name), Is.EqualTo(expected));
    }
}
