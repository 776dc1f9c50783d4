using Tunmux.TestSupport.Users;
using NUnit.Framework;
using Tunmux.Rootless.Tests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Rootless.Tests;

/// <summary>
/// Rootless exits driven through <see cref="Tunmux.Privileged.Tunnels.Rootless.RootlessTunnelService"/> as an
/// unprivileged user in the lab's host stand-in: no daemon, no sudo, the user's own namespaces.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RootlessExitTests : LabFixture
{
    private RootlessDriver _user = null!;
    private readonly List<string> _instances = [];

    [OneTimeSetUp]
    public void Prerequisites()
    {
        RootlessUsers.Require();
        Requires.Command("pasta", "passt");
    }

    [SetUp]
    public void NewDriver() => _user = new RootlessDriver(Lab, RootlessUsers.Owner);

    [TearDown]
    public void DownEverything()
    {
        foreach (var i in _instances) _user.Console(["down", i]);
        _instances.Clear();
        foreach (var pid in _user.User.Processes()) Lab.Run("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private string Instance(string suffix)
    {
        var name = Lab.InstanceName(suffix);
        _instances.Add(name);
        return name;
    }

    [Test]
    public void Two_rootless_exits_side_by_side_leave_through_their_own_servers_and_leave_nothing_behind()
    {
        var before = HostSnapshot();
        var a = Instance("ra");
        var b = Instance("rb");

        var infoA = _user.Up(RootlessDriver.Args(Lab.NewClient(1), a, 1080, 8118));
        var infoB = _user.Up(RootlessDriver.Args(Lab.NewClient(2), b, 1081, 8119));

        Assert.Multiple(() =>
        {
            Assert.That(infoA.Backend, Is.EqualTo("rootless"));
            Assert.That(infoA.BackendReason, Does.Contain("pasta").And.Contain("wireguard-go"));
            Assert.That(infoA.Alive, Is.True, string.Join("; ", infoA.Problems));
            Assert.That(infoA.LatestHandshake, Is.Not.Null);
            Assert.That(_user.Problems(a), Is.Empty);
            Assert.That(_user.Problems(b), Is.Empty);
        });

        // SOCKS5 and HTTP of each exit, names resolved through each tunnel's DNS (the host stand-in knows no whoami.lab).
        Assert.Multiple(() =>
        {
            Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(_user.Curl("-x", "http://127.0.0.1:8118", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1081", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(_user.Curl("-x", "http://127.0.0.1:8119", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(_user.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress), "the host's own traffic bypasses the exits");
            Assert.That(_user.AsUser("getent", ["hosts", "whoami.lab"]).ExitCode, Is.Not.Zero, "the host itself does not know the lab's names");
        });

        // A program inside each exit, as the user, sees the exit's address, resolves through the tunnel, and cannot change the exit.
        Assert.Multiple(() =>
        {
            Assert.That(_user.Exec(a, "curl", "-sS", "-m", "8", Lab.WhoamiByName).Output.Trim(), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(_user.Exec(b, "curl", "-sS", "-m", "8", Lab.WhoamiByName).Output.Trim(), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(_user.Exec(a, "id", "-u").Output.Trim(), Is.EqualTo(_user.User.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(_user.Exec(a, "cat", "/etc/resolv.conf").Output, Does.Contain("nameserver 10.2.0.1"));
            Assert.That(_user.Exec(a, "ip", "route", "del", "default").ExitCode, Is.Not.Zero, "a program inside holds no capability over the exit");
            Assert.That(_user.Exec(a, "ip", "-6", "route").Output, Does.Contain("unreachable default"), "no IPv6 in the profile: unreachable, never leaked");
            var exitExit = _user.Exec(a, "sh", "-c", "exit 7");
            Assert.That(exitExit.ExitCode, Is.EqualTo(7), "the exit code comes back");
        });

        Assert.That(HostSnapshot(), Is.EqualTo(before), "routes, rules, addresses and resolv.conf of the host stand-in");

        Assert.That(_user.Down(a), Is.True);
        Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1081", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)), "the other exit keeps working");
        Assert.That(_user.Down(b), Is.True);
        Assert.That(_user.Down(a), Is.False, "down is idempotent");

        AssertNothingLeft();
        Assert.That(HostSnapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_crashed_exit_shows_what_is_gone_and_down_still_removes_everything()
    {
        var a = Instance("rc");
        var info = _user.Up(RootlessDriver.Args(Lab.NewClient(1), a, 1082, 8120));
        var inside = _user.Exec(a, "sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!");
        Assert.That(inside.Ok, Is.True, inside.ToString());

        // The user-mode link dies: the exit is stale, the proxy answers but nothing gets out.
        var pasta = _user.User.Processes().Single(p => ProcessName(p).StartsWith("passt", StringComparison.Ordinal) || ProcessName(p) == "pasta");
        Lab.Check(Lab.Run("kill", ["-9", pasta.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        WaitUntil(() => _user.Problems(a).Contains("pasta not running"));
        Assert.That(_user.Curl("-x", "http://127.0.0.1:8120", "-o", "/dev/null", "-w", "%{http_code}", Lab.WhoamiByName), Does.Not.Contain(Lab.ExitAddress(1)));

        // The proxy dies too.
        Lab.Check(Lab.Run("kill", ["-9", info.ProxyPid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        WaitUntil(() => _user.Problems(a).Contains("proxy not running"));
        Assert.That(_user.List().Single().Alive, Is.False);

        Assert.That(_user.Down(a), Is.True);
        AssertNothingLeft();
    }

    [Test]
    public void Slirp4netns_is_the_way_out_where_pasta_is_missing()
    {
        Requires.Command("slirp4netns", "slirp4netns");
        var a = Instance("rs");
        var info = _user.Up(RootlessDriver.Args(Lab.NewClient(2), a, 1083, 8121), "--without", "pasta");
        Assert.That(info.BackendReason, Does.Contain("slirp4netns"));
        Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1083", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
        Assert.That(_user.Exec(a, "ip", "route").Output, Does.Not.Contain("10.0.2.0/24"), "only the endpoint leaves through the outside link");
        Assert.That(_user.Down(a), Is.True);
        AssertNothingLeft();
    }

    [Test]
    public void Without_a_host_run_wireguard_folder_the_exit_gets_a_run_of_its_own()
    {
        var a = Instance("rp");
        _user.Up(RootlessDriver.Args(Lab.NewClient(1), a, 1084, 8122), "--private-run");
        Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1084", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        var listing = _user.Exec(a, "sh", "-c", "ls /run/wireguard; ls -d /run/user /run/netns 2>/dev/null; wg show all latest-handshakes | wc -l");
        Assert.That(listing.Output, Does.Contain(Tunmux.Privileged.Naming.InstanceNames.Interface(a) + ".sock"));
        Assert.That(listing.Output, Does.Contain("/run/netns"), "the host's /run entries are still there inside");
        Assert.That(_user.Down(a), Is.True);
        AssertNothingLeft();
    }

    [Test]
    public void A_failure_at_any_step_rolls_everything_back()
    {
        var steps = Tunmux.Privileged.Tunnels.Rootless.RootlessTunnelService.StepNames();
        var client = Lab.NewClient(2);
        for (var k = 1; k <= steps.Count; k++)
        {
            var a = Instance("rf" + k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var r = _user.TryUp(RootlessDriver.Args(client, a, 1085, 8123), "--fail-step", k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.Error, Does.Contain("everything was rolled back").And.Contain("injected failure"), r.ToString());
            Assert.That(r.Error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
            AssertNothingLeft();
            Assert.That(_user.Curl("--socks5-hostname", "127.0.0.1:1085", Lab.WhoamiByName), Does.StartWith("error:"), "no proxy left on its port");
        }
    }

    /// <summary>No process of the user, no file in the user's rootless folder.</summary>
    private void AssertNothingLeft()
    {
        Assert.That(_user.User.Processes(), Is.Empty, () => "no process of the user is left: " + TestUser.Describe(_user.User.Processes()));
        var root = Path.Combine(_user.RuntimeDir, "rootless");
        Assert.That(Directory.Exists(root) ? Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories) : [], Is.Empty,
            "no file of the exits is left");
        Assert.That(Directory.EnumerateDirectories("/tmp", "tunmux-run.*"), Is.Empty, "no staging folder is left in /tmp");
    }

    private static string ProcessName(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return ""; }
    }

    private static void WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail("timed out waiting");
            Thread.Sleep(50);
        }
    }

    /// <summary>What a rootless exit must never change in the host stand-in: links, addresses, routes, rules, resolv.conf.</summary>
    private string HostSnapshot()
    {
        string Ip(params string[] a) => Lab.Check(Lab.Run("ip", ["-n", Lab.HostNamespace, .. a]));
        // Link names only: a fresh lab link's carrier flags may still be settling.
        var links = string.Join(' ', Ip("-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[1]));
        return links + "\n" + Ip("-4", "address") + Ip("-6", "address") + Ip("-4", "route", "show", "table", "all")
            + Ip("-6", "route", "show", "table", "all") + Ip("-4", "rule") + Ip("-6", "rule")
            + File.ReadAllText("/etc/resolv.conf");
    }
}
