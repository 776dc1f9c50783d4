using System.Text.Json;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.State;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>
/// <c>--proxy-share</c>, <c>--proxy-allow</c> and <c>proxy_share</c> on the host's side: parsed for every provider,
/// names checked before anything starts, config read the way the other settings are; and <c>status</c> showing other
/// users' exits by name and ports alone. What the daemon and the proxies do with them is tested in Tunmux.Daemon.Tests.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProxyAccessTests
{
    private const string Config = "/tmp/config.toml";

    [TestCase("proton")]
    [TestCase("airvpn")]
    public void Every_provider_parses_share_and_allow_into_the_shared_connect_options(string provider)
    {
        using var cli = new CliHarness(provider);
        var code = cli.Parse(provider, "connect", "--proxy", "--proxy-share", "--proxy-allow", "user:root,group:root", "--proxy-allow", "user:nobody");
        Assert.That(code, Is.Zero, cli.Err);
        Assert.That(cli.Parsed, Is.EqualTo(provider + " connect"));
        var options = (ConnectOptions)Cli.VerbParser.Parse(Cli.VerbModel.Of(typeof(ConnectOptions)),
            ["--proxy", "--proxy-share", "--proxy-allow", "user:root,group:root", "--proxy-allow", "user:nobody"], "tunmux " + provider + " connect");
        Assert.Multiple(() =>
        {
            Assert.That(options.ProxyShare, Is.True);
            Assert.That(options.ProxyAllow, Is.EqualTo(new[] { "user:root", "group:root", "user:nobody" }));
        });
    }

    [TestCase("--proxy-share")]
    [TestCase("--proxy-allow", "user:root")]
    public void Sharing_without_proxy_mode_is_a_usage_error(params string[] flag)
    {
        using var cli = new CliHarness("proton");
        var code = cli.Run(["proton", "connect", .. flag]);
        var lines = cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2), cli.Err);
            Assert.That(lines[0], Does.StartWith("error: ").And.Contain("--proxy-share and --proxy-allow need --proxy"));
        });
    }

    [TestCase("user:tmxnosuchuser1", "no user named 'tmxnosuchuser1' on this machine")]
    [TestCase("group:tmxnosuchgroup1", "no group named 'tmxnosuchgroup1' on this machine")]
    [TestCase("tmxnosuchuser1", "entries are user:NAME or group:NAME")]
    [TestCase("user:../etc", "entries are user:NAME or group:NAME")]
    public void An_unknown_or_malformed_name_is_one_error_line_before_the_provider_is_asked(string entry, string expected)
    {
        using var cli = new CliHarness("proton");
        // Not logged in: had the provider been asked, the error would be about the session.
        var code = cli.Run("proton", "connect", "--proxy", "--proxy-allow", "user:root," + entry);
        var lines = cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1), cli.Err);
            Assert.That(lines, Has.Length.EqualTo(1), cli.Err);
            Assert.That(lines[0], Does.StartWith("error: --proxy-allow: ").And.Contain(expected).And.Contain("user:NAME or group:NAME"));
            Assert.That(Directory.Exists(Path.Combine(cli.ConfigDir, "connections")) && Directory.EnumerateFileSystemEntries(Path.Combine(cli.ConfigDir, "connections")).Any(),
                Is.False, "nothing recorded");
        });
    }

    [Test]
    public void Known_users_and_groups_pass_in_the_form_the_daemon_reads()
    {
        var options = new ConnectOptions { Proxy = true, ProxyAllow = ["user:root", " group:root ", "user:root"] };
        Assert.That(ConnectSettings.ProxyAllow(options), Is.EqualTo(new[] { "user:root", "group:root" }));
    }

    [Test]
    public void Proxy_share_comes_from_the_flag_then_the_provider_section_then_general()
    {
        static bool Share(string toml, bool flag = false) =>
            ConnectSettings.ProxyShare(new ConnectOptions { Proxy = true, ProxyShare = flag }, ConfigLoader.Parse(toml, Config), "proton");
        Assert.Multiple(() =>
        {
            Assert.That(Share(""), Is.False, "default: only the owner");
            Assert.That(Share("[general]\nproxy_share = true\n"), Is.True);
            Assert.That(Share("[general]\nproxy_share = true\n[proton]\nproxy_share = false\n"), Is.False, "the provider's section wins");
            Assert.That(Share("[airvpn]\nproxy_share = true\n"), Is.False, "another provider's section does not apply");
            Assert.That(Share("[proton]\nproxy_share = true\n"), Is.True);
            Assert.That(Share("", flag: true), Is.True);
            Assert.That(ConfigLoader.Parse("[general]\nproxy_share = true\n", Config).Warnings, Is.Empty, "a known key");
        });
    }

    [Test]
    public void A_bad_proxy_share_value_names_file_line_and_key()
    {
        var general = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[general]\n\nproxy_share = \"yes\"\n", Config))!;
        var section = Assert.Throws<ProviderException>(() =>
            ConnectSettings.ProxyShare(new ConnectOptions { Proxy = true }, ConfigLoader.Parse("[proton]\nproxy_share = 1\n", Config), "proton"))!;
        Assert.Multiple(() =>
        {
            Assert.That(general.Message, Does.Contain(Config + ":3").And.Contain("general.proxy_share").And.Contain("true or false"));
            Assert.That(section.Message, Does.Contain(Config + ":2").And.Contain("proton.proxy_share").And.Contain("true or false"));
        });
    }

    [Test]
    public void Proxy_share_in_a_provider_section_is_no_unknown_key()
    {
        using var cli = new CliHarness("testgood");
        cli.WriteConfig("[testgood]\ngreeting = \"hi\"\nproxy_share = true\n");
        var code = cli.Run("testgood", "info");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, cli.Err);
            Assert.That(cli.Err, Does.Not.Contain("proxy_share"));
        });
    }

    private static readonly TunnelInfo Theirs = new TunnelInfo
    {
        Instance = "theirs-1", Provider = "proton", Mode = "proxy", Backend = "kernel", Interface = "wg-theirs-1",
        Namespace = "tunmux_theirs-1", Endpoint = "198.18.11.2:51820", ProxyPid = 4242, SocksPort = 1090, HttpPort = 8128, OwnerUid = 1234,
    }.Redacted();

    private static (int Code, string Out) Status(TempDir dir, bool json, params ConnectionState[] own)
    {
        var paths = new TunmuxPaths(dir.Combine("config"), []);
        foreach (var s in own) new ConnectionStore(paths).Save(s);
        var output = new StringWriter();
        var code = new StatusCommand(paths, new Output.ConsoleIO(output, new StringWriter(), new StringReader(""), false),
                _ => Task.FromResult<IReadOnlyList<TunnelInfo>>([Theirs]))
            .RunAsync(null, json, CancellationToken.None).GetAwaiter().GetResult();
        return (code, output.ToString());
    }

    [Test]
    public void Status_lists_other_users_exits_by_name_and_ports_and_nothing_else()
    {
        using var dir = new TempDir();
        var text = Status(dir, json: false);
        var json = JsonDocument.Parse(Status(dir, json: true).Out).RootElement;
        var other = json.GetProperty("other_users").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(text.Code, Is.Zero);
            Assert.That(text.Out, Does.Contain("No active connections.").And.Contain("Other users' exits"));
            Assert.That(text.Out.Split('\n').Single(l => l.StartsWith("theirs-1", StringComparison.Ordinal)), Does.Contain("SOCKS5 :1090, HTTP :8128"));
            foreach (var secret in new[] { "proton", "kernel", "wg-theirs-1", "198.18.11.2", "4242", "1234" })
                Assert.That(text.Out, Does.Not.Contain(secret));
            Assert.That(json.GetProperty("connections").GetArrayLength(), Is.Zero);
            Assert.That(other.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "instance", "mode", "socks_port", "http_port" }));
            Assert.That(other.GetProperty("instance").GetString(), Is.EqualTo("theirs-1"));
            Assert.That(other.GetProperty("socks_port").GetInt32(), Is.EqualTo(1090));
            Assert.That(other.GetProperty("http_port").GetInt32(), Is.EqualTo(8128));
        });
    }

    [Test]
    public void Status_shows_who_may_use_each_of_ones_own_exits()
    {
        using var dir = new TempDir();
        ConnectionState Own(string instance, int port) => new()
        {
            Instance = instance, Provider = "proton", Server = "US#1", Mode = "proxy", Backend = "kernel", Interface = "wg-" + instance,
            Namespace = "tunmux_" + instance, SocksPort = port, HttpPort = port + 1, ConnectedAt = DateTimeOffset.UnixEpoch,
        };
        var (_, output) = Status(dir, json: true,
            Own("mine-1", 1080), Own("mine-2", 1082) with { ProxyShare = true }, Own("mine-3", 1084) with { ProxyAllow = ["user:root", "group:root"] });
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("connections").EnumerateArray()
            .ToDictionary(r => r.GetProperty("instance").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(rows["mine-1"].GetProperty("proxy_share").GetBoolean(), Is.False);
            Assert.That(rows["mine-1"].GetProperty("proxy_allow").GetArrayLength(), Is.Zero);
            Assert.That(rows["mine-2"].GetProperty("proxy_share").GetBoolean(), Is.True);
            Assert.That(rows["mine-3"].GetProperty("proxy_allow").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "user:root", "group:root" }));
            Assert.That(StatusCommand.AccessText(Own("x", 1) with { ProxyAllow = ["user:root"] }), Is.EqualTo("you and user:root"));
        });
    }
}
