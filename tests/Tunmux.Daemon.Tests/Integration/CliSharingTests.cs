using System.Text.Json;
using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// The real <c>tunmux</c> command line, run as the test accounts against the real daemon (root, in the lab's host
/// stand-in): a group member connects proxy exits with the wgconf provider, by default, with <c>--proxy-share</c>,
/// with <c>--proxy-allow user:NAME</c> and with <c>--proxy-allow group:NAME</c>; a second member and a user outside
/// the group try the exits' SOCKS5 and HTTP ports and ask <c>tunmux status</c>.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CliSharingTests : LabFixture
{
    private const string Path0 = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private DaemonSandbox _sandbox = null!;
    private string _plugins = null!;
    private readonly Dictionary<string, Exit> _exits = [];

    protected override int Servers => 1;

    private sealed record Exit(string Instance, int Socks, int Http);

    [OneTimeSetUp]
    public void ConnectAsTheMember()
    {
        TestAccounts.Require();
        _sandbox = new DaemonSandbox();
        _sandbox.StartDaemon(["--authorized-group", TestAccounts.Group], netns: Lab.HostNamespace);
        _plugins = Path.Combine(_sandbox.Root, "plugins");
        PluginLayout.Install(_plugins, "wgconf");
        Lab.Check(Lab.Run("chmod", ["-R", "go+rX", _plugins]));
        foreach (var user in new[] { TestAccounts.Member, TestAccounts.PrimaryMember, TestAccounts.Outsider })
        {
            var dir = ConfigDir(user);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "config.toml"),
                $"[general]\nprivileged_autostart = false\nprivileged_authorized_group = \"{TestAccounts.Group}\"\n");
            Lab.Check(Lab.Run("chown", ["-R", $"{user}:{TestAccounts.PrimaryGroupName(user)}", dir]));
            Lab.Check(Lab.Run("chmod", ["0700", dir]));
        }

        Connect("own", 34080, []);
        Connect("shr", 34082, ["--proxy-share"]);
        Connect("usr", 34084, ["--proxy-allow", "user:" + TestAccounts.Outsider]);
        Connect("grp", 34086, ["--proxy-allow", "group:" + TestAccounts.Group]);
    }

    [OneTimeTearDown]
    public void DisconnectEverything()
    {
        if (_sandbox is null) return;
        try
        {
            Tunmux(TestAccounts.Member, "disconnect", "--all");
            // Whatever the command line left, root takes down by name.
            foreach (var exit in _exits.Values)
                new RawClient(_sandbox.Paths.SocketPath).Call(JsonSerializer.Serialize(
                    new { v = 1, id = 1, op = Ops.TunnelDown, args = new InstanceArgs { Instance = exit.Instance } }, ProtocolJson.Options));
        }
        finally
        {
            _sandbox.Dispose();
        }
    }

    private string ConfigDir(string user) => Path.Combine(_sandbox.Root, "users", user);

    /// <summary><c>tunmux ARGS</c> as <paramref name="user"/>, with that user's config folder and this sandbox's daemon.</summary>
    private LabResult Tunmux(string user, params string[] args) =>
        AsUser.Run(Lab, user, "env",
        [
            "-i", "PATH=" + Path0, "HOME=/nonexistent", "DOTNET_NOLOGO=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
            "TUNMUX_CONFIG_DIR=" + ConfigDir(user), "TUNMUX_RUNTIME_DIR=" + _sandbox.Paths.RuntimeDir,
            "TUNMUX_STATE_DIR=" + _sandbox.Paths.StateDir, "TUNMUX_PLUGIN_PATH=" + _plugins,
            DaemonSandbox.Dotnet, DaemonSandbox.TunmuxDll, .. args,
        ], timeoutMs: 90_000);

    /// <summary>A WireGuard config of a fresh client of the lab's server, readable by the member alone.</summary>
    private string WriteConf(string name)
    {
        var c = Lab.NewClient(1);
        var path = Path.Combine(ConfigDir(TestAccounts.Member), name + ".conf");
        File.WriteAllText(path,
            $"[Interface]\nPrivateKey = {c.PrivateKey}\nAddress = {c.Address}\nDNS = {c.Dns}\n\n" +
            $"[Peer]\nPublicKey = {c.ServerPublicKey}\nEndpoint = {c.Endpoint}\nAllowedIPs = 0.0.0.0/0\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Lab.Check(Lab.Run("chown", [TestAccounts.Member, path]));
        return path;
    }

    private void Connect(string suffix, int socks, string[] flags)
    {
        var instance = Lab.InstanceName(suffix);
        var r = Tunmux(TestAccounts.Member, ["wgconf", "connect", "--proxy", "--file", WriteConf(instance),
            "--socks-port", socks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--http-port", (socks + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), .. flags]);
        Assert.That(r.Ok, Is.True, $"connect {instance}: {r}\n{_sandbox.LogText}");
        _exits[suffix] = new Exit(instance, socks, socks + 1);
    }

    private string Socks(string user, string exit) => AsUser.ThroughSocks(Lab, user, _exits[exit].Socks);
    private string Http(string user, string exit) => AsUser.ThroughHttp(Lab, user, _exits[exit].Http);

    [Test]
    public void By_default_only_the_member_who_connected_gets_through()
    {
        var exit = Lab.ExitAddress(1);
        Assert.Multiple(() =>
        {
            Assert.That(Socks(TestAccounts.Member, "own"), Is.EqualTo(exit), "the owner, SOCKS5");
            Assert.That(Http(TestAccounts.Member, "own"), Is.EqualTo(exit), "the owner, HTTP");
            Assert.That(Socks(TestAccounts.PrimaryMember, "own"), Does.StartWith("error:"), "another member, SOCKS5");
            Assert.That(Http(TestAccounts.PrimaryMember, "own"), Does.StartWith("error:"), "another member, HTTP");
            Assert.That(Socks(TestAccounts.Outsider, "own"), Does.StartWith("error:"), "a user outside the group, SOCKS5");
            Assert.That(Http(TestAccounts.Outsider, "own"), Does.StartWith("error:"), "a user outside the group, HTTP");
        });
    }

    [Test]
    public void With_proxy_share_every_local_user_gets_through()
    {
        var exit = Lab.ExitAddress(1);
        Assert.Multiple(() =>
        {
            foreach (var user in new[] { TestAccounts.Member, TestAccounts.PrimaryMember, TestAccounts.Outsider })
            {
                Assert.That(Socks(user, "shr"), Is.EqualTo(exit), user + ", SOCKS5");
                Assert.That(Http(user, "shr"), Is.EqualTo(exit), user + ", HTTP");
            }
        });
    }

    [Test]
    public void With_proxy_allow_user_the_named_user_gets_through_and_no_one_else()
    {
        var exit = Lab.ExitAddress(1);
        Assert.Multiple(() =>
        {
            Assert.That(Socks(TestAccounts.Outsider, "usr"), Is.EqualTo(exit), "the named user, SOCKS5");
            Assert.That(Http(TestAccounts.Outsider, "usr"), Is.EqualTo(exit), "the named user, HTTP");
            Assert.That(Socks(TestAccounts.Member, "usr"), Is.EqualTo(exit), "the owner still");
            Assert.That(Socks(TestAccounts.PrimaryMember, "usr"), Does.StartWith("error:"), "not named, SOCKS5");
            Assert.That(Http(TestAccounts.PrimaryMember, "usr"), Does.StartWith("error:"), "not named, HTTP");
        });
    }

    [Test]
    public void With_proxy_allow_group_its_members_get_through_and_no_one_else()
    {
        var exit = Lab.ExitAddress(1);
        Assert.Multiple(() =>
        {
            Assert.That(Socks(TestAccounts.PrimaryMember, "grp"), Is.EqualTo(exit), "a member by primary group, SOCKS5");
            Assert.That(Http(TestAccounts.PrimaryMember, "grp"), Is.EqualTo(exit), "a member by primary group, HTTP");
            Assert.That(Socks(TestAccounts.Outsider, "grp"), Does.StartWith("error:"), "outside the group, SOCKS5");
            Assert.That(Http(TestAccounts.Outsider, "grp"), Does.StartWith("error:"), "outside the group, HTTP");
        });
    }

    [Test]
    public void Status_shows_another_member_the_exits_by_name_and_ports_and_nothing_else()
    {
        var json = Tunmux(TestAccounts.PrimaryMember, "status", "--json");
        var text = Tunmux(TestAccounts.PrimaryMember, "status");
        var outsider = Tunmux(TestAccounts.Outsider, "status", "--json");
        Assert.That(json.Ok && text.Ok && outsider.Ok, Is.True, $"{json}\n{text}\n{outsider}");
        var root = JsonDocument.Parse(json.Output).RootElement;
        var others = root.GetProperty("other_users").EnumerateArray().ToDictionary(e => e.GetProperty("instance").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("connections").GetArrayLength(), Is.Zero, "none of them is this user's");
            foreach (var exit in _exits.Values)
            {
                Assert.That(others.ContainsKey(exit.Instance), Is.True, exit.Instance + " is listed: " + json.Output);
                if (!others.TryGetValue(exit.Instance, out var o)) continue;
                Assert.That(o.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "instance", "mode", "socks_port", "http_port" }));
                Assert.That(o.GetProperty("socks_port").GetInt32(), Is.EqualTo(exit.Socks));
                Assert.That(o.GetProperty("http_port").GetInt32(), Is.EqualTo(exit.Http));
                var row = text.Output.Split('\n').SingleOrDefault(l => l.StartsWith(exit.Instance + " ", StringComparison.Ordinal));
                Assert.That(row, Does.Contain($"SOCKS5 :{exit.Socks}, HTTP :{exit.Http}"), text.Output);
            }
            foreach (var detail in new[] { "wgconf", Lab.ExitAddress(1) + ":51820", InstanceNames.Interface(_exits["own"].Instance) })
            {
                Assert.That(json.Output, Does.Not.Contain(detail));
                Assert.That(text.Output, Does.Not.Contain(detail));
            }
            // Outside the group the daemon answers nothing at all; status still works.
            Assert.That(JsonDocument.Parse(outsider.Output).RootElement.GetProperty("other_users").GetArrayLength(), Is.Zero, outsider.Output);
        });
    }

    [Test]
    public void The_owner_sees_who_may_use_each_exit()
    {
        var r = Tunmux(TestAccounts.Member, "status", "--json");
        Assert.That(r.Ok, Is.True, r.ToString());
        var rows = JsonDocument.Parse(r.Output).RootElement.GetProperty("connections").EnumerateArray()
            .ToDictionary(e => e.GetProperty("instance").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(rows.Keys, Is.EquivalentTo(_exits.Values.Select(e => e.Instance)));
            Assert.That(rows[_exits["own"].Instance].GetProperty("proxy_share").GetBoolean(), Is.False);
            Assert.That(rows[_exits["shr"].Instance].GetProperty("proxy_share").GetBoolean(), Is.True);
            Assert.That(rows[_exits["usr"].Instance].GetProperty("proxy_allow")[0].GetString(), Is.EqualTo("user:" + TestAccounts.Outsider));
            Assert.That(rows[_exits["grp"].Instance].GetProperty("proxy_allow")[0].GetString(), Is.EqualTo("group:" + TestAccounts.Group));
            Assert.That(rows.Values.All(v => v.GetProperty("alive").GetBoolean()), Is.True, r.Output);
        });
    }

    [Test]
    public void An_unknown_account_in_proxy_allow_is_one_error_line_and_nothing_is_brought_up()
    {
        var instance = Lab.InstanceName("bad");
        var r = Tunmux(TestAccounts.Member, "wgconf", "connect", "--proxy", "--file", WriteConf(instance), "--proxy-allow", "user:tmxnosuchuser9");
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(lines, Has.Length.EqualTo(1), r.Error);
            Assert.That(lines.FirstOrDefault(), Does.StartWith("error: --proxy-allow: no user named 'tmxnosuchuser9'"));
            Assert.That(Lab.NamespaceExists(InstanceNames.Namespace(instance)), Is.False);
        });
    }
}
