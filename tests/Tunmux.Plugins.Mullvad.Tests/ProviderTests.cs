using System.Text.Json;
using Tunmux.Contracts;
using Tunmux.Fakes.Kit;
using Tunmux.Plugins.Mullvad.Cli;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Mullvad.Tests;

/// <summary>The verbs as the host calls them: words parsed into the plugin's option classes, then the provider's members.</summary>
public sealed class ProviderTests : MullvadFixture
{
    private MullvadProvider NewProvider()
    {
        var provider = new MullvadProvider { Environment = name => Environment.GetValueOrDefault(name), Random = new Random(3) };
        provider.Initialize(Context);
        return provider;
    }

    private static LoginRequest Login(params string[] words) => VerbLines.Login<MullvadLoginOptions>(words);

    /// <summary>The request the host builds from <c>mullvad connect WORDS</c>.</summary>
    private static ConnectRequest Connect(params string[] words) => VerbLines.Connect<MullvadConnectOptions>(words);

    /// <summary>The request the host builds from <c>mullvad servers WORDS</c>.</summary>
    private static ServerQuery Servers(params string[] words) => VerbLines.Servers<MullvadServersOptions>(words);

    private static ScriptedLatency Probe(params (string Host, int Ms)[] answers) =>
        new(answers.ToDictionary(a => a.Host, a => TimeSpan.FromMilliseconds(a.Ms)));

    [Test]
    public void The_command_line_is_declared_as_option_classes()
    {
        var commands = NewProvider().Describe();
        Assert.That(commands.Login, Is.EqualTo(typeof(MullvadLoginOptions)));
        Assert.That(commands.Connect, Is.EqualTo(typeof(MullvadConnectOptions)));
        Assert.That(commands.Servers, Is.EqualTo(typeof(MullvadServersOptions)));
        Assert.That(commands.Verbs, Is.EqualTo(new[] { typeof(MullvadCreateAccountOptions) }));
        Assert.That(commands.ConfigKeys, Does.Contain("api_url").And.Contain("default_country"));

        var login = VerbLines.Options<MullvadLoginOptions>("--account-stdin", "--force", "--replace", "Brave Otter");
        Assert.That((login.AccountStdin, login.Force, login.Replace, login.Account), Is.EqualTo((true, true, "Brave Otter", (string?)null)));
        var connect = VerbLines.Options<MullvadConnectOptions>("se-got-wg-001", "--proxy", "--city", "got", "--port", "53", "--country", "se");
        Assert.That((connect.Server, connect.Proxy, connect.City, connect.Port, connect.Country), Is.EqualTo(("se-got-wg-001", true, "got", (int?)53, "se")));
    }

    [Test]
    public async Task Login_from_stdin_with_force_and_no_number_anywhere()
    {
        Context.Terminal.StdinLine = "1234 5678 9012 3456";
        await NewProvider().LoginAsync(Login("--account-stdin", "--force"), CancellationToken.None);
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(1));
        Assert.That(Err, Does.Not.Contain("shell history"));
        AssertNumberNotShown();
    }

    [Test]
    public async Task Login_with_the_number_as_argument_warns_about_the_shell_history()
    {
        await NewProvider().LoginAsync(Login(Account), CancellationToken.None);
        Assert.That(Err, Does.Contain("shell history"));
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Info_servers_connect_and_logout_through_the_provider()
    {
        var provider = NewProvider();
        await provider.LoginAsync(Login(Account), CancellationToken.None);

        var info = await provider.GetInfoAsync(new InfoRequest { Options = VerbLines.Options<InfoOptions>() }, CancellationToken.None);
        Assert.That(info.Username, Is.EqualTo("**** **** **** 3456"));
        Assert.That(info.ExpiresAt, Is.EqualTo(Fake.Accounts[Account].Expiry).Within(TimeSpan.FromSeconds(1)));
        Assert.That(info.Details.Single(d => d.Key == "Devices").Value, Is.EqualTo("1 of 5"));

        var servers = await provider.ListServersAsync(new ServerQuery { Country = "se", Sort = ServerSort.Score, Options = VerbLines.Options<MullvadServersOptions>("--city", "got") }, CancellationToken.None);
        Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "se-got-wg-002", "se-got-wg-001" }));
        Assert.That((servers[0].EntryHost, servers[0].EntryPort), Is.EqualTo(("185.213.154.67", (int?)51820)), "what the latency probe aims at");
        Assert.That(servers[0].Extra.Single(e => e.Key == "Provider").Value, Is.EqualTo("M247"));

        var plan = await provider.PrepareConnectAsync(new ConnectRequest { Country = "se", Options = VerbLines.Options<MullvadConnectOptions>("--country", "se", "--port", "53") }, CancellationToken.None);
        Assert.That(plan.Alternatives, Has.Count.EqualTo(2));
        Assert.That(plan.Alternatives.Select(a => a.Server.Country), Is.All.EqualTo("SE"));
        Assert.That(plan.Profile.Peers[0].Endpoint, Does.EndWith(":53"));
        Assert.That(plan.Alternatives.All(a => a.Profile.Peers[0].Endpoint.EndsWith(":53", StringComparison.Ordinal)), Is.True);

        await provider.LogoutAsync(CancellationToken.None);
        Assert.That(Fake.Accounts[Account].Devices, Is.Empty);
    }

    [Test]
    public async Task Default_country_comes_from_the_config()
    {
        var provider = NewProvider();
        await provider.LoginAsync(Login(Account), CancellationToken.None);
        Context.ConfigValues["default_country"] = "nl";
        var plan = await provider.PrepareConnectAsync(new ConnectRequest { Options = VerbLines.Options<MullvadConnectOptions>() }, CancellationToken.None);
        Assert.That(plan.Server.Name, Is.EqualTo("nl-ams-wg-001"));
    }

    [Test]
    public async Task Create_account_json_has_stable_field_names()
    {
        var provider = NewProvider();
        Assert.That(await provider.RunVerbAsync(VerbLines.Invocation(provider, "create-account", "--json"), CancellationToken.None), Is.Zero);
        using var doc = JsonDocument.Parse(Out);
        var number = doc.RootElement.GetProperty("account_number").GetString()!;
        Assert.That(number.Replace(" ", ""), Has.Length.EqualTo(16));
        Assert.That(doc.RootElement.GetProperty("device_name").GetString(), Is.Not.Empty);
        Assert.That(doc.RootElement.TryGetProperty("expiry", out _), Is.True);
        Assert.That(Fake.Accounts.ContainsKey(number.Replace(" ", "")), Is.True);
    }

    [Test]
    public async Task Login_reads_the_number_the_host_took_from_password_stdin()
    {
        var options = VerbLines.Options<MullvadLoginOptions>("--password-stdin");
        await NewProvider().LoginAsync(new LoginRequest { Username = options.Username, Password = "1234 5678 9012 3456", Options = options }, CancellationToken.None);
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(1));
        Assert.That(Err, Does.Not.Contain("shell history"));
        AssertNumberNotShown();

        var both = VerbLines.Options<MullvadLoginOptions>("--password-stdin", "--account-stdin");
        var ex = Assert.ThrowsAsync<ProviderException>(() => NewProvider().LoginAsync(new LoginRequest { Username = "", Password = Account, Options = both }, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("--account-stdin and --password-stdin"));
    }

    [Test]
    public async Task Servers_for_latency_carry_each_entry_for_the_host_to_measure()
    {
        var probe = Probe(("185.195.233.76", 5));
        Context.Latency = probe;
        var servers = await NewProvider().ListServersAsync(Servers("--country", "se", "--sort", "latency"), CancellationToken.None);
        Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "se-got-wg-002", "se-got-wg-001", "se-sto-wg-009", "se-sto-wg-001" }), "Mullvad's weights");
        Assert.That(servers.All(s => s.EntryHost is { Length: > 0 } && s.EntryPort == 51820 && s.Latency is null), Is.True,
            "each relay's entry address and WireGuard port, for the host's probe");
        Assert.That(probe.Asked, Is.Empty, "the host measures a listing, not the plugin");
    }

    [Test]
    public async Task Connect_passes_the_sort_through()
    {
        var provider = NewProvider();
        await provider.LoginAsync(Login(Account), CancellationToken.None);

        var probe = Probe(("185.213.154.67", 3), ("185.195.233.76", 9));
        Context.Latency = probe;
        Context.ReportedSteps.Clear();
        var nearest = await provider.PrepareConnectAsync(Connect("--country", "se", "--sort", "latency", "--port", "53"), CancellationToken.None);
        Assert.That(Context.ReportedSteps.TakeLast(2), Is.EqualTo(new[] { "fetching Mullvad's relay list", "measuring the round trip to 3 relays" }));
        Assert.That(nearest.Server.Name, Is.EqualTo("se-got-wg-002"));
        Assert.That(nearest.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "se-sto-wg-001", "se-got-wg-001" }), "measured first, then the silent one");
        Assert.That(probe.Asked.Select(t => t.Port), Is.All.EqualTo(53), "probed on the port the tunnel will use");
        Assert.That(probe.Asked.Select(t => t.Host), Does.Not.Contain("185.195.233.79"), "a relay kept out of country-wide choices is not a candidate");

        var byName = await provider.PrepareConnectAsync(Connect("--country", "se", "--sort", "name"), CancellationToken.None);
        Assert.That(new[] { byName.Server.Name }.Concat(byName.Alternatives.Select(a => a.Server.Name)), Is.EqualTo(new[] { "se-got-wg-001", "se-got-wg-002", "se-sto-wg-001" }));

        var named = await provider.PrepareConnectAsync(Connect("se-got-wg-001", "--sort", "latency"), CancellationToken.None);
        Assert.That((named.Server.Name, named.Alternatives.Single().Server.Name), Is.EqualTo(("se-got-wg-001", "se-got-wg-002")), "a named relay stays the choice; its neighbours follow");
    }
}
