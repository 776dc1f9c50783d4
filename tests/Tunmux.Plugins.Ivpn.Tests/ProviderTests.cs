using System.Text.Json;
using OtpNet;
using Tunmux.Contracts;
using Tunmux.Fakes.Kit;
using Tunmux.Plugins.Ivpn.Cli;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.Ivpn.Tests;

/// <summary>The verbs as the host calls them: words parsed into the plugin's option classes, then the provider's members.</summary>
public sealed class ProviderTests : IvpnFixture
{
    private IvpnProvider NewProvider()
    {
        var provider = new IvpnProvider { Environment = name => Environment.GetValueOrDefault(name), Time = Clock };
        provider.Initialize(Context);
        return provider;
    }

    private static LoginRequest Login(params string[] words) => VerbLines.Login<IvpnLoginOptions>(words);

    /// <summary>The request the host builds from <c>ivpn connect WORDS</c>.</summary>
    private static ConnectRequest Connect(params string[] words) => VerbLines.Connect<IvpnConnectOptions>(words);

    /// <summary>The request the host builds from <c>ivpn servers WORDS</c>.</summary>
    private static ServerQuery Servers(params string[] words) => VerbLines.Servers<IvpnServersOptions>(words);

    [Test]
    public void The_command_line_is_declared_as_option_classes()
    {
        var commands = NewProvider().Describe();
        Assert.That((commands.Login, commands.Servers, commands.Connect), Is.EqualTo((typeof(IvpnLoginOptions), typeof(IvpnServersOptions), typeof(IvpnConnectOptions))));
        Assert.That(commands.Verbs, Is.EqualTo(new[] { typeof(IvpnCreateAccountOptions) }));
        var login = VerbLines.Options<IvpnLoginOptions>("--account-stdin", "--force", "--totp", "123456");
        Assert.That((login.AccountStdin, login.Force, login.Totp, login.Account), Is.EqualTo((true, true, "123456", (string?)null)));
        Assert.That(VerbLines.Options<IvpnLoginOptions>("--totp-secret-file", "/x").TotpSecretFile, Is.EqualTo("/x"));
        var connect = VerbLines.Options<IvpnConnectOptions>("nl.wg.ivpn.net", "--city", "Amsterdam", "--port", "51820", "--proxy");
        Assert.That((connect.Server, connect.City, connect.Port, connect.Proxy), Is.EqualTo(("nl.wg.ivpn.net", "Amsterdam", (int?)51820, true)));
    }

    [Test]
    public async Task Login_from_stdin_with_a_second_factor_from_a_secret_file()
    {
        var secret = Base32Encoding.ToString(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        Fake.Accounts[Account].TotpSecret = secret;
        var file = Path.Combine(Context.CacheDirectory, "totp");
        await File.WriteAllTextAsync(file, secret);
        Context.Terminal.StdinLine = Account;
        await NewProvider().LoginAsync(Login("--account-stdin", "--totp-secret-file", file), CancellationToken.None);
        Assert.That(Fake.Sessions.Count(), Is.EqualTo(1));
        Assert.That(Err, Does.Not.Contain("shell history"));
        AssertIdNotShown();
    }

    [Test]
    public async Task Info_servers_connect_and_logout_through_the_provider()
    {
        var provider = NewProvider();
        await provider.LoginAsync(Login(Account), CancellationToken.None);
        Assert.That(Err, Does.Contain("shell history"));

        var info = await provider.GetInfoAsync(new InfoRequest { Options = VerbLines.Options<InfoOptions>() }, CancellationToken.None);
        Assert.That((info.Username, info.Plan), Is.EqualTo(("i-****-****-JKLM", "IVPN Pro")));
        Assert.That(info.ExpiresAt, Is.EqualTo(Fake.Accounts[Account].ActiveUntil).Within(TimeSpan.FromSeconds(1)));

        var servers = await provider.ListServersAsync(new ServerQuery { Country = "nl", Options = VerbLines.Options<IvpnServersOptions>() }, CancellationToken.None);
        Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "nl4.wg.ivpn.net", "nl3.wg.ivpn.net" }), "least loaded first by default");
        Assert.That((servers[0].EntryHost, servers[0].EntryPort, servers[0].Load), Is.EqualTo(("185.102.218.105", (int?)2049, (int?)13)));

        var plan = await provider.PrepareConnectAsync(new ConnectRequest { Options = VerbLines.Options<IvpnConnectOptions>("--city", "Amsterdam") }, CancellationToken.None);
        Assert.That(plan.Server.Name, Is.EqualTo("nl4.wg.ivpn.net"));
        Assert.That(plan.Alternatives.Select(a => a.Server.Name), Is.EqualTo(new[] { "nl3.wg.ivpn.net" }));

        await provider.LogoutAsync(CancellationToken.None);
        Assert.That(Fake.Sessions, Is.Empty);
    }

    [Test]
    public async Task Create_account_json_has_stable_field_names()
    {
        var provider = NewProvider();
        Assert.That(await provider.RunVerbAsync(VerbLines.Invocation(provider, "create-account", "--product", "pro", "--json"), CancellationToken.None), Is.Zero);
        using var doc = JsonDocument.Parse(Out);
        var id = doc.RootElement.GetProperty("account_id").GetString()!;
        Assert.That(Fake.Accounts[id].Plan, Is.EqualTo("IVPN Pro"));
        Assert.That(doc.RootElement.GetProperty("product").GetString(), Is.EqualTo("IVPN Pro"));
        Assert.That(doc.RootElement.GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Login_reads_the_id_the_host_took_from_password_stdin()
    {
        var options = VerbLines.Options<IvpnLoginOptions>("--password-stdin");
        await NewProvider().LoginAsync(new LoginRequest { Username = options.Username, Password = Account, Options = options }, CancellationToken.None);
        Assert.That(Fake.Sessions.Count(), Is.EqualTo(1));
        Assert.That(Err, Does.Not.Contain("shell history"));
        AssertIdNotShown();
    }

    [Test]
    public async Task Servers_for_latency_carry_each_entry_for_the_host_to_measure_and_by_name_in_name_order()
    {
        var provider = NewProvider();
        var probe = new ScriptedLatency(new Dictionary<string, TimeSpan>());
        Context.Latency = probe;
        var byLatency = await provider.ListServersAsync(Servers("--sort", "latency"), CancellationToken.None);
        Assert.That(byLatency.Select(s => $"{s.Name} {s.EntryHost}:{s.EntryPort}"), Is.EqualTo(new[]
        {
            "ch1.wg.ivpn.net 141.255.164.66:2049", "nl4.wg.ivpn.net 185.102.218.105:2049",
            "de1.wg.ivpn.net 185.102.219.26:2049", "nl3.wg.ivpn.net 185.102.218.104:2049",
        }), "least loaded first, each with the entry address and WireGuard port the host's probe measures");
        Assert.That(probe.Asked, Is.Empty, "the host measures a listing, not the plugin");

        var byName = await provider.ListServersAsync(Servers("--sort", "name"), CancellationToken.None);
        Assert.That(byName.Select(s => s.Name), Is.EqualTo(new[] { "ch1.wg.ivpn.net", "de1.wg.ivpn.net", "nl3.wg.ivpn.net", "nl4.wg.ivpn.net" }));
    }

    [Test]
    public async Task Connect_passes_the_sort_through()
    {
        var provider = NewProvider();
        await provider.LoginAsync(Login(Account), CancellationToken.None);
        Context.Latency = new ScriptedLatency(new Dictionary<string, TimeSpan> { ["185.102.218.104"] = TimeSpan.FromMilliseconds(2) });

        var nearest = await provider.PrepareConnectAsync(Connect("--country", "nl", "--sort", "latency"), CancellationToken.None);
        Assert.That((nearest.Server.Name, nearest.Alternatives.Single().Server.Name), Is.EqualTo(("nl3.wg.ivpn.net", "nl4.wg.ivpn.net")), "the busier but nearer host");

        var byLoad = await provider.PrepareConnectAsync(Connect("--country", "nl", "--sort", "load"), CancellationToken.None);
        Assert.That(byLoad.Server.Name, Is.EqualTo("nl4.wg.ivpn.net"));

        var byName = await provider.PrepareConnectAsync(Connect("--sort", "name"), CancellationToken.None);
        Assert.That(new[] { byName.Server.Name }.Concat(byName.Alternatives.Select(a => a.Server.Name)),
            Is.EqualTo(new[] { "ch1.wg.ivpn.net", "de1.wg.ivpn.net", "nl3.wg.ivpn.net", "nl4.wg.ivpn.net" }));
    }
}
