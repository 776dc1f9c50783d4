using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests;

/// <summary>Proxy mode end to end in the lab: the service runs in the host stand-in, each instance gets its own namespace and exit.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ProxyModeTests : LabFixture
{
    private TunnelDriver _driver = null!;
    private readonly List<string> _instances = [];

    [SetUp]
    public void CreateDriver() => _driver = TunnelDriver.InHost(Lab, TestContext.CurrentContext.Test.MethodName!.ToLowerInvariant());

    [TearDown]
    public void DownEverything()
    {
        foreach (var i in _instances) _driver.Run(["down", i]);
        _instances.Clear();
    }

    private string Instance(string suffix)
    {
        var name = Lab.InstanceName(suffix);
        _instances.Add(name);
        return name;
    }

    [Test]
    public void TwoInstancesShowTwoDistinctExitsAndLeaveTheHostUnchanged()
    {
        var hostBefore = NetworkSnapshot.Of(Lab.HostNamespace);
        var a = Instance("a");
        var b = Instance("b");

        var infoA = _driver.Up(TunnelDriver.Args(Lab.NewClient(1), a, "proxy"));
        var infoB = _driver.Up(TunnelDriver.Args(Lab.NewClient(2), b, "proxy"));

        Assert.Multiple(() =>
        {
            Assert.That(Lab.Whoami(InstanceNames.Namespace(a)), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(Lab.Whoami(InstanceNames.Namespace(b)), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(Lab.InHost("curl", "-sS", "-m", "5", Lab.WhoamiUrl).Output.Trim(), Is.EqualTo(Lab.HostAddress), "host traffic is untouched");
            Assert.That(infoA.Alive, Is.True, string.Join("; ", infoA.Problems));
            Assert.That(infoA.LatestHandshake, Is.Not.Null);
            Assert.That(infoA.Namespace, Is.EqualTo(InstanceNames.Namespace(a)));
            Assert.That(infoA.Interface, Is.EqualTo(InstanceNames.Interface(a)));
            Assert.That(infoA.BackendReason, Does.Contain("wireguard-go").Or.Contain("kernel WireGuard module"));
            Assert.That(infoB.Alive, Is.True);
        });

        // The VPN DNS answers names only the lab knows, through the tunnel.
        var dns = Lab.InNamespace(InstanceNames.Namespace(a), "getent", "hosts", "whoami.lab");
        Assert.That(dns.Output, Does.Contain(Lab.WhoamiIp));
        // The interface lives in the VPN namespace; the host stand-in has no new link, route or rule.
        Assert.That(Lab.Check(Lab.Run("ip", ["-n", InstanceNames.Namespace(a), "link", "show", InstanceNames.Interface(a)])),
            Does.Contain("mtu 1420"), "no MTU in the profile: 1420");
        SnapshotAssert.Unchanged(Lab.HostNamespace, hostBefore);
        // No IPv6 in the profile: IPv6 is unreachable inside, never leaked.
        Assert.That(Lab.Run("ip", ["-n", InstanceNames.Namespace(a), "-6", "route", "show"]).Output, Does.Contain("unreachable default"));

        Assert.That(_driver.Down(a), Is.True);
        Assert.That(_driver.Down(b), Is.True);
        Assert.That(_driver.Down(a), Is.False, "down is idempotent");
        AssertNothingLeft(a);
        AssertNothingLeft(b);
        SnapshotAssert.Unchanged(Lab.HostNamespace, hostBefore);
    }

    [Test]
    public void UserspaceBackendInProxyModeWithProfileMtu()
    {
        var a = Instance("us");
        var args = TunnelDriver.Args(Lab.NewClient(2), a, "proxy", "userspace");
        args = args with { Profile = args.Profile with { Mtu = 1380 } };
        var info = _driver.Up(args);
        Assert.Multiple(() =>
        {
            Assert.That(info.Backend, Is.EqualTo("userspace"));
            Assert.That(info.BackendReason, Does.Contain("wireguard-go"));
            Assert.That(Lab.Whoami(InstanceNames.Namespace(a)), Is.EqualTo(Lab.ExitAddress(2)));
            Assert.That(Lab.Check(Lab.Run("ip", ["-n", InstanceNames.Namespace(a), "link", "show", InstanceNames.Interface(a)])), Does.Contain("mtu 1380"));
        });
        Assert.That(_driver.Down(a), Is.True);
        AssertNothingLeft(a);
    }

    [Test]
    public void AnExitBroughtUpWhereNoDaemonStaysSaysItIsUnsupervised()
    {
        // The tunnel console runs the service as the stdio transport's daemon does: it serves one request and goes.
        var a = Instance("nosup");
        var up = _driver.Up(TunnelDriver.Args(Lab.NewClient(1), a, "proxy"));
        var seen = _driver.Inspect(a)!;
        Assert.Multiple(() =>
        {
            Assert.That(up.Health?.Supervised, Is.False);
            Assert.That(up.Health?.Reason, Does.Contain("stdio transport"));
            Assert.That(seen.Health?.Supervised, Is.False, "still unsupervised when asked later");
            Assert.That(seen.Health?.Reason, Does.Contain("not supervised").And.Contain("stdio transport"));
            Assert.That(Lab.Whoami(InstanceNames.Namespace(a)), Is.EqualTo(Lab.ExitAddress(1)), "and it works");
        });
    }

    [Test]
    public void RecordsHoldNoPrivateKeyAndAreRootOnly()
    {
        var client = Lab.NewClient(1);
        var a = Instance("rec");
        _driver.Up(TunnelDriver.Args(client, a, "proxy"));
        var file = Path.Combine(_driver.TunnelsDir, a + ".json");
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(file), Does.Not.Contain(client.PrivateKey));
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.GetUnixFileMode(_driver.TunnelsDir),
                Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        });
        // A second up of the same name is refused and leaves the first alone.
        var again = _driver.TryUp(TunnelDriver.Args(Lab.NewClient(1), a, "proxy"));
        Assert.That(again.Ok, Is.False);
        Assert.That(again.Error, Does.Contain("already up"));
        Assert.That(_driver.Inspect(a)!.Alive, Is.True);
    }

    [Test]
    public void ProxyIsStartedInTheNamespaceAndStoppedOnDown()
    {
        var a = Instance("px");
        var info = _driver.Up(TunnelDriver.Args(Lab.NewClient(1), a, "proxy",
            proxy: new ProxyArgs { SocksPort = 1080, HttpPort = 8118 }));
        Assert.That(info.ProxyPid, Is.Not.Null);
        var pid = info.ProxyPid!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(info.SocksPort, Is.EqualTo(1080));
            Assert.That(info.Alive, Is.True, string.Join("; ", info.Problems));
            Assert.That(Lab.Check(Lab.Run("ip", ["netns", "identify", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Trim(),
                Is.EqualTo(InstanceNames.Namespace(a)));
        });
        Assert.That(_driver.Down(a), Is.True);
        Assert.That(IsRunning(pid), Is.False);
        AssertNothingLeft(a);
    }

    [Test]
    public void NoHandshakeFailsNamingTheEndpointAndRollsBack()
    {
        var client = Lab.NewClient(1);
        var a = Instance("nohs");
        var wrongServerKey = Lab.Check(Lab.Run("wg", ["pubkey"], Lab.Check(Lab.Run("wg", ["genkey"])))).Trim();
        var sw = Stopwatch.StartNew();
        var r = _driver.TryUp(TunnelDriver.Args(client, a, "proxy", handshakeTimeoutMs: 1500, serverKey: wrongServerKey));
        Assert.Multiple(() =>
        {
            Assert.That(r.Ok, Is.False);
            Assert.That(r.Error, Does.Contain(client.Endpoint));
            Assert.That(r.Error, Does.Contain("handshake"));
            Assert.That(r.Error, Does.Contain("rolled back"));
            Assert.That(r.Error.Trim().Split('\n'), Has.Length.EqualTo(1), "one clear line");
            Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        });
        AssertNothingLeft(a);
    }

    [Test]
    public void FailureAtEachStepLeavesNothingBehind()
    {
        var hostBefore = NetworkSnapshot.Of(Lab.HostNamespace);
        var client = Lab.NewClient(2);
        var a = Instance("fail");
        var args = TunnelDriver.Args(client, a, "proxy", proxy: new ProxyArgs { SocksPort = 1081, HttpPort = 8119 });
        var steps = _driver.Steps(args);
        Assert.That(steps, Is.EqualTo(new[] { "record", "firewall", "namespace", "link", "wg-config", "move", "addresses", "routes", "dns", "proxy", "handshake" }));
        for (var k = 1; k <= steps.Count; k++)
        {
            var r = _driver.TryUp(args, failStep: k);
            Assert.That(r.Ok, Is.False, $"step {k}");
            Assert.That(r.Error, Does.Contain("injected failure"), $"step {k}");
            AssertNothingLeft(a, $"failure before step {k}");
        }
        SnapshotAssert.Unchanged(Lab.HostNamespace, hostBefore);
        // And after all that, the same instance comes up fine.
        Assert.That(_driver.Up(args).Alive, Is.True);
    }

    [Test]
    public void CrashedUserspaceProcessIsDetectedAndCleanedByDown()
    {
        var a = Instance("crash");
        _driver.Up(TunnelDriver.Args(Lab.NewClient(1), a, "proxy"));
        var pid = WireGuardGoPid(InstanceNames.Interface(a));
        Assert.That(pid, Is.Not.Null);
        Process.GetProcessById(pid!.Value).Kill();
        WaitUntil(() => !IsRunning(pid.Value));

        var info = _driver.Inspect(a)!;
        Assert.That(info.Alive, Is.False);
        Assert.That(info.Problems, Has.Some.Contains("not running").Or.Some.Contains("is gone"));
        Assert.That(_driver.Down(a), Is.True);
        AssertNothingLeft(a);
    }

    [Test]
    public void DeletedNamespaceIsDetectedAndCleanedByDown()
    {
        var a = Instance("gone");
        _driver.Up(TunnelDriver.Args(Lab.NewClient(2), a, "proxy"));
        var ns = InstanceNames.Namespace(a);
        Lab.Check(Lab.Run("ip", ["-n", ns, "link", "del", InstanceNames.Interface(a)]));
        Lab.Check(Lab.Run("ip", ["netns", "del", ns]));

        var info = _driver.Inspect(a)!;
        Assert.That(info.Alive, Is.False);
        Assert.That(info.Problems, Has.Some.Contains($"namespace {ns} is gone"));
        Assert.That(_driver.List().Single(t => t.Instance == a).Alive, Is.False);
        Assert.That(_driver.Down(a), Is.True);
        AssertNothingLeft(a);
    }

    [Test]
    public void TenInstancesAtOnce()
    {
        var names = Enumerable.Range(0, 10).Select(i => Instance("t" + i)).ToList();
        var clients = Enumerable.Range(0, 10).Select(i => Lab.NewClient(1 + i % 2)).ToList();
        // Each up is its own process here (the daemon would run them on its own threads); all at once.
        var ups = names.Select((n, i) => Task.Run(() => _driver.TryUp(TunnelDriver.Args(clients[i], n, "proxy")))).ToArray();
        Task.WaitAll(ups);
        Assert.That(ups.Select(u => u.Result.Ok ? "ok" : u.Result.Error.Trim()), Has.All.EqualTo("ok"));

        for (var i = 0; i < names.Count; i++)
            Assert.That(Lab.Whoami(InstanceNames.Namespace(names[i])), Is.EqualTo(Lab.ExitAddress(1 + i % 2)), names[i]);
        Assert.That(_driver.List().Count(t => t.Alive), Is.EqualTo(10));

        var downs = names.Select(n => Task.Run(() => _driver.Down(n))).ToArray();
        Task.WaitAll(downs);
        foreach (var n in names) AssertNothingLeft(n);
    }

    private void AssertNothingLeft(string instance, string? why = null)
    {
        var ns = InstanceNames.Namespace(instance);
        var iface = InstanceNames.Interface(instance);
        Assert.Multiple(() =>
        {
            Assert.That(Lab.NamespaceExists(ns), Is.False, $"namespace {ns} {why}");
            Assert.That(Directory.Exists("/etc/netns/" + ns), Is.False, $"/etc/netns/{ns} {why}");
            Assert.That(Lab.Run("ip", ["-n", Lab.HostNamespace, "link", "show", iface]).Ok, Is.False, $"link {iface} in the host {why}");
            Assert.That(Lab.Run("ip", ["link", "show", iface]).Ok, Is.False, $"link {iface} in the root namespace {why}");
            Assert.That(WireGuardGoPid(iface), Is.Null, $"wireguard-go for {iface} {why}");
            Assert.That(File.Exists(Path.Combine(_driver.TunnelsDir, instance + ".json")), Is.False, $"record {why}");
            Assert.That(File.Exists("/var/run/wireguard/" + iface + ".sock"), Is.False, $"control socket {why}");
        });
    }

    internal static int? WireGuardGoPid(string iface)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                // "wireguard-go <if>", or "wireguard-go -f <if>" as the daemon starts it in the foreground.
                if (argv.Length is 2 or 3 && Path.GetFileName(argv[0]) == "wireguard-go" && argv[^1] == iface && IsRunning(pid)) return pid;
            }
            catch (IOException) { }
        }
        return null;
    }

    internal static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException) { return false; }
    }

    internal static void WaitUntil(Func<bool> condition, int timeoutMs = 3000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition() && sw.ElapsedMilliseconds < timeoutMs) Thread.Sleep(20);
    }
}
