using System.Globalization;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;
using Tunmux.TestSupport.Users;

namespace Tunmux.LabTests.Exec;

/// <summary>
/// Rootless exits through the real CLI, as an unprivileged user the test setup creates (in no group of
/// tunmux's, no sudo): <c>wgconf connect --proxy</c> chooses rootless by itself, <c>status</c>,
/// <c>tunmux exec</c> with exit codes, signals and stdin, <c>disconnect --all</c>.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RootlessCliTests : LabSession
{
    protected override string LabName => "tbrlcli";

    private static readonly string Suffix = LocalUsers.NewSuffix();
    private TestUser? _user;
    private IDisposable? _tun;

    [OneTimeSetUp]
    public void CreateUser()
    {
        _tun = RootlessPrerequisites.Require();
        _user = LocalUsers.Add("tmxc" + Suffix);
    }

    [OneTimeTearDown]
    public void RemoveUser()
    {
        _tun?.Dispose();
        if (_user is not null) LocalUsers.Remove(_user);
    }

    private UserSession NewUserSession()
    {
        var s = Track(new UserSession(Lab, _user!));
        // No daemon and no sudo for this user: "auto" must choose rootless by itself.
        s.Config("[general]\nprivileged_autostop_mode = \"command\"\n");
        return s;
    }

    [Test]
    public void Two_rootless_exits_through_the_cli_then_exec_inside_each_and_nothing_left()
    {
        var tm = NewUserSession();
        var one = tm.WriteFile(LabName + "-one.conf", Lab.ClientConf(1));
        var two = tm.WriteFile(LabName + "-two.conf", Lab.ClientConf(2));
        var before = HostSnapshot();

        var first = tm.Tunmux("wgconf", "connect", "--proxy", "--file", one);
        AssertOk(first, "first connect (auto)");
        Assert.That(first.Output, Does.Contain("backend rootless").And.Contain("rootless: auto:"), first.ToString());
        var second = tm.Tunmux("wgconf", "connect", "--proxy", "--rootless", "--file", two);
        AssertOk(second, "second connect (--rootless)");
        Assert.That(second.Output, Does.Contain("rootless: --rootless"));

        var status = tm.Status();
        Assert.That(status.Select(s => s.GetProperty("instance").GetString()), Is.EquivalentTo(new[] { LabName + "-one", LabName + "-two" }));
        foreach (var s in status)
        {
            Assert.That(s.GetProperty("mode").GetString(), Is.EqualTo("proxy"), s.ToString());
            Assert.That(s.GetProperty("backend").GetString(), Is.EqualTo("rootless"), s.ToString());
            Assert.That(s.GetProperty("alive").GetBoolean(), Is.True, s.ToString());
        }
        var a = status.Single(s => s.GetProperty("instance").GetString() == LabName + "-one");
        var b = status.Single(s => s.GetProperty("instance").GetString() == LabName + "-two");
        var socksA = a.GetProperty("socks_port").GetInt32();
        var httpB = b.GetProperty("http_port").GetInt32();
        Assert.That(new[] { socksA, a.GetProperty("http_port").GetInt32() }, Is.EqualTo(new[] { 1080, 8118 }));
        Assert.That(new[] { b.GetProperty("socks_port").GetInt32(), httpB }, Is.EqualTo(new[] { 1081, 8119 }), "ports are never handed out twice");

        Assert.Multiple(() =>
        {
            Assert.That(tm.Curl("--socks5-hostname", $"127.0.0.1:{socksA}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(tm.Curl("-x", $"http://127.0.0.1:{httpB}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress), "the host's own traffic bypasses the exits");
        });

        // tunmux exec: the program's words untouched (-v is curl's), DNS through the tunnel, the caller's uid,
        // exit codes and signals passed through, stdin passed on.
        var uid = _user!.Uid.ToString(CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            var curl = tm.Tunmux("exec", LabName + "-one", "curl", "-v", "-sS", "-m", "8", Lab.WhoamiByName);
            Assert.That(curl.Output.Trim(), Is.EqualTo(Lab.ExitAddress(1)), curl.ToString());
            Assert.That(curl.Error, Does.Contain("> GET / HTTP/1.1"), "-v reached curl");
            Assert.That(tm.Tunmux("exec", LabName + "-two", "--", "curl", "-sS", "-m", "8", Lab.WhoamiByName).Output.Trim(), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(tm.Tunmux("exec", LabName + "-one", "id", "-u").Output.Trim(), Is.EqualTo(uid));
            Assert.That(tm.Tunmux("exec", LabName + "-one", "sh", "-c", "exit 7").ExitCode, Is.EqualTo(7), "exit code");
            Assert.That(tm.Tunmux("exec", LabName + "-one", "sh", "-c", "kill -TERM $$").ExitCode, Is.EqualTo(128 + 15), "a signal comes back as 128+N");
            Assert.That(tm.TunmuxWithInput("through stdin\n", "exec", LabName + "-one", "cat").Output, Is.EqualTo("through stdin\n"));
            var missing = tm.Tunmux("exec", LabName + "-nope", "true");
            Assert.That(missing.ExitCode, Is.Not.Zero);
            Assert.That(missing.Error.Trim().Split('\n'), Has.Length.EqualTo(1).And.Some.Contain("no proxy exit named"), missing.ToString());
        });

        Assert.That(HostSnapshot(), Is.EqualTo(before), "routes, rules, addresses and resolv.conf of the host stand-in");
        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
        Assert.That(tm.Status(), Is.Empty);
        Assert.That(_user.Processes(), Is.Empty, () => "no process of the user is left: " + TestUser.Describe(_user.Processes()));
        var rootless = Path.Combine(tm.RuntimeDir, "rootless");
        Assert.That(Directory.Exists(rootless) ? Directory.EnumerateFileSystemEntries(rootless, "*", SearchOption.AllDirectories) : [], Is.Empty,
            "no file of the exits is left");
        Assert.That(HostSnapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_tun_device_only_root_may_open_is_one_clear_line_naming_the_fix()
    {
        var tm = NewUserSession();
        var conf = tm.WriteFile(LabName + "-tun.conf", Lab.ClientConf(1));
        LabResult r;
        using (LocalUsers.TunMode(UnixFileMode.UserRead | UnixFileMode.UserWrite))
            r = tm.Tunmux("wgconf", "connect", "--proxy", "--rootless", "--file", conf);
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        // Standard error is no terminal here: the steps taken so far come first as plain lines, then the one error line.
        var lines = r.Error.Trim().Split('\n');
        Assert.That(lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal)), Is.EqualTo(1), r.ToString());
        Assert.That(lines[^1], Does.StartWith("error:").And.Contain("/dev/net/tun").And.Contain("0666"), r.ToString());
        Assert.That(_user!.Processes(), Is.Empty, () => "nothing was started: " + TestUser.Describe(_user.Processes()));
        Assert.That(tm.Status(), Is.Empty);
    }

    /// <summary>Routes, rules, addresses and resolv.conf of the host stand-in, to compare before and after.</summary>
    private string HostSnapshot()
    {
        string Ip(params string[] a) => Tunmux.TestSupport.Lab.Lab.Check(Run("ip", ["-n", Lab.HostNamespace, .. a]));
        return Ip("route", "show", "table", "all") + Ip("-6", "route", "show", "table", "all")
            + Ip("rule") + Ip("-6", "rule") + Ip("-brief", "address") + File.ReadAllText("/etc/resolv.conf");
    }
}
