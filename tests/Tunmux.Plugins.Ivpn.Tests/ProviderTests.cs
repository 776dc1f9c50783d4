using System.Text.Json;
using OtpNet;
using Tunmux.Contracts;
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

    private static LoginRequest Login(params string[] words)
    {
        var options = VerbLines.Options<IvpnLoginOptions>(words);
        return new LoginRequest { Username = options.Username, Options = options };
    }

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
}
