using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests;

/// <summary>
/// Direct mode end to end, inside the lab's direct-mode host stand-in (entered with
/// <c>ip netns exec</c>, so /etc/resolv.conf there is the lab's own file, never this machine's).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DirectModeTests : LabFixture
{
    private TunnelDriver _driver = null!;
    private readonly List<string> _instances = [];

    protected override int Servers => 1;

    private string DhostResolvConf => $"/etc/netns/{Lab.DirectHostNamespace}/resolv.conf";

    [SetUp]
    public void CreateDriver() =>
        _driver = TunnelDriver.InDirectHost(Lab, TestContext.CurrentContext.Test.ID.ToLowerInvariant().Replace('-', '_'));

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

    [TestCase("kernel", "kernel")]
    [TestCase("wg-quick", "wg-quick")]
    [TestCase("userspace", "userspace")]
    [TestCase("auto", "wg-quick")]
    public void AllTrafficGoesThroughTheTunnelAndDownRestoresEverything(string backend, string expectedBackend)
    {
        if (backend is "wg-quick" or "userspace" or "auto") Requires.Command("wg-quick", "wireguard-tools");
        var before = NetworkSnapshot.Of(Lab.DirectHostNamespace);
        var resolvBefore = File.ReadAllBytes(DhostResolvConf);
        Assert.That(Lab.Whoami(Lab.DirectHostNamespace), Is.EqualTo(Lab.DirectHostAddress));

        var d = Instance("d");
        var info = _driver.Up(TunnelDriver.Args(Lab.NewClient(1), d, "direct", backend));
        Assert.Multiple(() =>
        {
            Assert.That(info.Backend, Is.EqualTo(expectedBackend));
            Assert.That(info.BackendReason, Is.Not.Empty);
            Assert.That(info.Alive, Is.True, string.Join("; ", info.Problems));
            Assert.That(info.Namespace, Is.Null);
            Assert.That(Lab.Whoami(Lab.DirectHostNamespace), Is.EqualTo(Lab.ExitAddress(1)), "all traffic leaves through the VPN");
            Assert.That(File.ReadAllText(DhostResolvConf), Does.Contain("nameserver " + Lab.DnsIp));
            Assert.That(Lab.InNamespace(Lab.DirectHostNamespace, "getent", "hosts", "whoami.lab").Output, Does.Contain(Lab.WhoamiIp));
        });
        TestContext.Out.WriteLine($"{backend}: {info.Backend} because {info.BackendReason}");

        Assert.That(_driver.Down(d), Is.True);
        Assert.That(_driver.Down(d), Is.False);
        SnapshotAssert.Unchanged(Lab.DirectHostNamespace, before, "routes, rules and links are back");
        Assert.That(File.ReadAllBytes(DhostResolvConf), Is.EqualTo(resolvBefore), "resolv.conf is back byte for byte");
        Assert.That(Lab.Whoami(Lab.DirectHostNamespace), Is.EqualTo(Lab.DirectHostAddress));
        Assert.That(ProxyModeTests.WireGuardGoPid(InstanceNames.Interface(d)), Is.Null);
    }

    [Test]
    public void WgQuickConfigIsSecretWhileUpAndRemovedOnDown()
    {
        Requires.Command("wg-quick", "wireguard-tools");
        var client = Lab.NewClient(1);
        var d = Instance("cf");
        _driver.Up(TunnelDriver.Args(client, d, "direct", "wg-quick"));
        var conf = Path.Combine(_driver.StateDir, "wg", "lab", InstanceNames.Interface(d) + ".conf");
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(conf), Is.True);
            Assert.That(File.GetUnixFileMode(conf), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(conf)!),
                Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(File.ReadAllText(Path.Combine(_driver.TunnelsDir, d + ".json")), Does.Not.Contain(client.PrivateKey));
        });
        _driver.Down(d);
        Assert.That(File.Exists(conf), Is.False);
    }

    [Test]
    public void SecondDirectConnectFailsNamingTheActiveOne()
    {
        var first = Instance("d1");
        var second = Instance("d2");
        _driver.Up(TunnelDriver.Args(Lab.NewClient(1), first, "direct", "kernel"));
        var r = _driver.TryUp(TunnelDriver.Args(Lab.NewClient(1), second, "direct", "kernel"));
        Assert.That(r.Ok, Is.False);
        Assert.That(r.Error, Does.Contain(first).And.Contain("direct mode is already active"));
        Assert.That(_driver.Inspect(first)!.Alive, Is.True);
    }

    [TestCase("kernel", new[] { "record", "firewall", "link", "wg-config", "addresses", "routes", "block", "dns", "handshake" })]
    [TestCase("wg-quick", new[] { "record", "firewall", "wg-quick-config", "wg-quick-up", "block", "dns", "handshake" })]
    public void FailureAtEachStepRestoresEverything(string backend, string[] expectedSteps)
    {
        if (backend == "wg-quick") Requires.Command("wg-quick", "wireguard-tools");
        var before = NetworkSnapshot.Of(Lab.DirectHostNamespace);
        var resolvBefore = File.ReadAllBytes(DhostResolvConf);
        var d = Instance("f");
        var args = TunnelDriver.Args(Lab.NewClient(1), d, "direct", backend);
        var steps = _driver.Steps(args);
        Assert.That(steps, Is.EqualTo(expectedSteps));
        for (var k = 1; k <= steps.Count; k++)
        {
            var r = _driver.TryUp(args, failStep: k);
            Assert.That(r.Error, Does.Contain("injected failure"), $"step {k}");
            Assert.Multiple(() =>
            {
                SnapshotAssert.Unchanged(Lab.DirectHostNamespace, before, $"failure before step {k}");
                Assert.That(File.ReadAllBytes(DhostResolvConf), Is.EqualTo(resolvBefore), $"failure before step {k}");
                Assert.That(ProxyModeTests.WireGuardGoPid(InstanceNames.Interface(d)), Is.Null, $"failure before step {k}");
                Assert.That(Directory.Exists(_driver.TunnelsDir) ? Directory.GetFiles(_driver.TunnelsDir) : [], Is.Empty);
            });
        }
    }

    [TestCase("kernel")]
    [TestCase("wg-quick")]
    public void CrashedInterfaceIsCleanedByDown(string backend)
    {
        if (backend == "wg-quick") Requires.Command("wg-quick", "wireguard-tools");
        var before = NetworkSnapshot.Of(Lab.DirectHostNamespace);
        var resolvBefore = File.ReadAllBytes(DhostResolvConf);
        var d = Instance("c");
        _driver.Up(TunnelDriver.Args(Lab.NewClient(1), d, "direct", backend));
        var pid = ProxyModeTests.WireGuardGoPid(InstanceNames.Interface(d));
        Assert.That(pid, Is.Not.Null, "this machine runs the interface in wireguard-go");
        System.Diagnostics.Process.GetProcessById(pid!.Value).Kill();
        ProxyModeTests.WaitUntil(() => !ProxyModeTests.IsRunning(pid.Value));

        var info = _driver.Inspect(d)!;
        Assert.That(info.Alive, Is.False);
        Assert.That(_driver.Down(d), Is.True);
        SnapshotAssert.Unchanged(Lab.DirectHostNamespace, before);
        Assert.That(File.ReadAllBytes(DhostResolvConf), Is.EqualTo(resolvBefore));
    }

    [Test]
    public void KernelModuleEndToEnd()
    {
        Requires.KernelWireGuard();
        var before = NetworkSnapshot.Of(Lab.DirectHostNamespace);
        var d = Instance("k");
        var info = _driver.Up(TunnelDriver.Args(Lab.NewClient(1), d, "direct", "kernel"));
        Assert.That(info.BackendReason, Does.Contain("kernel WireGuard module"));
        Assert.That(Lab.Whoami(Lab.DirectHostNamespace), Is.EqualTo(Lab.ExitAddress(1)));
        _driver.Down(d);
        SnapshotAssert.Unchanged(Lab.DirectHostNamespace, before);
    }
}
