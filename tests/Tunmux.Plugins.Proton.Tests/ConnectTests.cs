using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Plugins.Proton.Keys;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class ConnectTests : ProtonFixture
{
    private Task<ConnectPlan> ConnectAsync(string? name = null, string? country = null, params string[] flags) =>
        Provider.PrepareConnectAsync(new ConnectRequest { ServerName = name, Country = country, Options = VerbLines.Options<ProtonConnectOptions>(flags) }, CancellationToken.None);

    [Test]
    public async Task Profile_for_a_named_server_uses_its_first_online_physical_server()
    {
        await LoginAsync(Plain);
        var plan = await ConnectAsync("US#1");
        var seed = System.Text.Json.JsonDocument.Parse(StoredSession!).RootElement.GetProperty("Ed25519PrivateKey").GetString()!;
        var keys = VpnKeys.FromBase64(seed);
        var peer = plan.Profile.Peers.Single();
        Assert.Multiple(() =>
        {
            Assert.That(plan.Server, Is.EqualTo(new ServerIdentity("US#1", "US", "New York")));
            Assert.That(plan.Profile.Addresses, Is.EqualTo(new[] { "10.2.0.2/32" }));
            Assert.That(plan.Profile.Dns, Is.EqualTo(new[] { "10.2.0.1" }));
            Assert.That(plan.Profile.PrivateKey, Is.EqualTo(keys.WireGuardPrivateKeyBase64));
            Assert.That(peer.PublicKey, Is.EqualTo(TestLogicals.KeyUs1));
            Assert.That(peer.Endpoint, Is.EqualTo("198.18.2.2:51820"));
            Assert.That(peer.AllowedIps, Is.EqualTo(new[] { "0.0.0.0/0", "::/0" }));
        });
        Assert.That(plan.ToString(), Does.Not.Contain(keys.WireGuardPrivateKeyBase64));
    }

    [Test]
    public async Task Instance_spelling_of_a_name_is_accepted()
    {
        await LoginAsync(Plain);
        Assert.That((await ConnectAsync("us-2")).Server.Name, Is.EqualTo("US#2"));
    }

    [Test]
    public async Task Filters_choose_the_best_online_server_in_the_tier()
    {
        await LoginAsync(Plain);
        Assert.That((await ConnectAsync(country: "US")).Server.Name, Is.EqualTo("US#2"));
        Assert.That((await ConnectAsync(country: "US", flags: "--p2p")).Server.Name, Is.EqualTo("US#1"));
        Assert.That((await ConnectAsync(country: "US", flags: "--free")).Server.Name, Is.EqualTo("US-FREE#1"));
    }

    [Test]
    public async Task Free_account_gets_a_free_server()
    {
        await LoginAsync(Free);
        Assert.That((await ConnectAsync(country: "US")).Server.Name, Is.EqualTo("US-FREE#1"));
        var ex = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("US#2"));
        Assert.That(ex!.Message, Does.StartWith("US#2 needs the plus tier but the account has free"));
    }

    [Test]
    public async Task Default_country_comes_from_config()
    {
        await LoginAsync(Plain);
        Context.ConfigValues["default_country"] = "nl";
        Assert.That((await ConnectAsync()).Server.Name, Is.EqualTo("NL#1"));
        Assert.That((await ConnectAsync(country: "US")).Server.Name, Is.EqualTo("US#2"));
    }

    [Test]
    public async Task Unknown_name_lists_close_names()
    {
        await LoginAsync(Plain);
        var ex = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("US#4"));
        Assert.That(ex!.Message, Does.StartWith("no Proton server is named 'US#4'; did you mean US#1, US#2, US#3"));
    }

    [Test]
    public async Task Server_in_maintenance_is_refused_by_name()
    {
        await LoginAsync(Plain);
        var ex = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync("US#3"));
        Assert.That(ex!.Message, Does.StartWith("US#3 is in maintenance"));
    }

    [Test]
    public async Task Filter_matching_nothing_usable_explains_why()
    {
        await LoginAsync(Free);
        var ex = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync(country: "US", flags: "--p2p"));
        Assert.That(ex!.Message, Does.Contain("need a higher tier than the account's (free)"));
    }

    [Test]
    public void Connect_without_login_says_to_log_in()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => ConnectAsync(country: "US"));
        Assert.That(ex!.Message, Does.Contain("tunmux proton login"));
    }
}
