using System.Globalization;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;
using Tunmux.TestSupport.Users;

namespace Tunmux.LabTests;

/// <summary>
/// A rootless exit under lockdown, through the real CLI and daemon, in the lab's proxy host stand-in (whose
/// ruleset the table goes into): the exit's wireguard-go runs in the user's own namespace and its encrypted UDP
/// leaves from the user's pasta, which the daemon lets through to that exit's server alone while the exit is up.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RootlessUnderLockdownTests : LabSession
{
    protected override string LabName => "tbrlks";

    private LocalUser? _local;
    private TestUser? _user;
    private IDisposable? _tun;

    [OneTimeSetUp]
    public void CreateUser()
    {
        _tun = RootlessPrerequisites.Require();
        Requires.Command("nft", "nftables");
        // A user whose own group is the daemon's authorized group, so it may ask the daemon (and nothing more).
        _local = LocalUser.Create("tmxk");
        _user = new TestUser(_local.Name, _local.Uid, _local.Gid);
        Directory.CreateDirectory(_user.Home);
        LocalUsers.Run("chown", $"{_user.Uid}:{_user.Gid}", _user.Home);
        File.SetUnixFileMode(_user.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [OneTimeTearDown]
    public void RemoveUser()
    {
        _tun?.Dispose();
        if (_user is not null)
        {
            foreach (var pid in _user.Processes()) Run("kill", "-9", pid.ToString(CultureInfo.InvariantCulture));
            try { Directory.Delete(_user.Home, recursive: true); } catch (IOException) { }
        }
        _local?.Dispose();
    }

    [Test]
    public void Under_lockdown_a_rootless_exits_pasta_reaches_its_server_alone_until_disconnect()
    {
        var root = NewSession();
        // The user reaches the daemon's socket and its world-readable firewall status through the session's folders.
        File.SetUnixFileMode(root.WorkDir, (UnixFileMode)0b111_101_101);
        StartDaemon(root, _local!.Group);
        var user = Track(new UserSession(Lab, _user!, root.RuntimeDir));
        user.Config("[general]\nprivileged_autostart = false\n");
        var conf = user.WriteFile(LabName + "-rl.conf", Lab.ClientConf(1));
        var before = Ruleset();

        AssertOk(user.Tunmux("lockdown", "on"), "lockdown on");
        Track(new Cleanup(() => root.Tunmux("lockdown", "off")));
        Assert.That(user.Curl("-m", "3", Lab.WhoamiUrl), Does.StartWith("error"), "lockdown blocks the stand-in's own traffic");

        var up = user.Tunmux("wgconf", "connect", "--proxy", "--rootless", "--file", conf);
        AssertOk(up, "rootless connect under lockdown");
        var hole = $"meta skuid {_user!.Uid.ToString(CultureInfo.InvariantCulture)} ip daddr {Lab.ExitAddress(1)} udp dport 51820 accept";
        Assert.Multiple(() =>
        {
            Assert.That(up.Output, Does.Contain("backend rootless"));
            Assert.That(Ruleset(), Does.Contain(hole), "the user's pasta, to the exit's server");
            Assert.That(user.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)),
                "the exit works through its own tunnel");
            Assert.That(user.Curl("-m", "3", Lab.WhoamiUrl), Does.StartWith("error"), "the user's traffic outside the exit stays blocked");
            Assert.That(root.Curl("-m", "3", Lab.WhoamiUrl), Does.StartWith("error"), "and everyone else's");
        });

        AssertOk(user.Tunmux("disconnect", "--all"), "disconnect");
        Assert.That(Ruleset(), Does.Not.Contain("skuid"), "the hole goes with the exit");
        AssertOk(root.Tunmux("lockdown", "off"), "lockdown off");
        Assert.That(Ruleset(), Is.EqualTo(before), "the stand-in's ruleset as it was");
    }

    private string Ruleset() => Tunmux.TestSupport.Lab.Lab.Check(Tunmux.TestSupport.Lab.Lab.InNamespace(Lab.HostNamespace, "nft", "list", "ruleset"));
}
