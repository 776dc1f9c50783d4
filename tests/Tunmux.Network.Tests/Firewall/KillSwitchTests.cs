using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests.Firewall;

/// <summary>
/// Direct mode failing closed, end to end, inside the lab's direct-mode host stand-in. The stand-in is given
/// every ordinary path a leak could take, and each is shown to work before tunmux is involved: an IPv4 and an
/// IPv6 default route to the lab's internet, a resolver on its LAN (its original nameserver, 198.18.1.1) and one
/// on the internet (198.18.100.54, DNS and DNS over TLS's port). The machine's own ruleset, routes and rules are
/// compared before and after every test.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KillSwitchTests : LabFixture
{
    private const string WhoamiV6 = LeakPaths.WhoamiV6;
    private const string DhostV6 = LeakPaths.StandInV6;
    private const string LanResolver = LeakPaths.LanResolver;
    private const string InternetResolver = LeakPaths.InternetResolver;

    private LeakPaths _leaks = null!;
    private TunnelDriver _driver = null!;
    private MachineSnapshot _machine = null!;

    /// <summary>Server 1 serves every test, server 2 a second exit beside it; server 3 is the one whose WireGuard gets stopped.</summary>
    protected override int Servers => 3;

    private string Dhost => Lab.DirectHostNamespace;
    private string DhostResolvConf => $"/etc/netns/{Dhost}/resolv.conf";

    [OneTimeSetUp]
    public void GiveTheStandInEveryOrdinaryPath() => _leaks = LeakPaths.Open(Lab);

    [OneTimeTearDown]
    public void StopServices() => _leaks?.Dispose();

    [SetUp]
    public void Before()
    {
        _machine = MachineSnapshot.Take();
        _driver = TunnelDriver.InDirectHost(Lab, TestContext.CurrentContext.Test.ID.ToLowerInvariant().Replace('-', '_'));
    }

    [TearDown]
    public void After()
    {
        // Whatever happened, nothing of tunmux stays in the stand-in for the next test.
        _driver.Run(["down", InstanceNames.Direct]);
        _driver.Run(["lockdown", "off"]);
        Assert.That(MachineSnapshot.Take(), Is.EqualTo(_machine), "this machine's own ruleset, routes and rules are never touched");
    }

    [TestCase("kernel")]
    [TestCase("wg-quick")]
    public void WithTheKillSwitchTrafficLeavesOnlyThroughTheTunnelAndDisconnectRestoresEverything(string backend)
    {
        if (backend == "wg-quick") Requires.Command("wg-quick", "wireguard-tools");
        var before = Saved.Of(this);
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works: a leak is possible");

        var info = _driver.Up(Direct(1, backend, killSwitch: true));
        Assert.That(info.KillSwitch, Is.True);
        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(1)), "by address, through the tunnel");
            Assert.That(Lab.Whoami(Dhost, Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)), "by name, through the tunnel's DNS");
            // Forced onto the ordinary link (SO_BINDTODEVICE), the same request has no way out.
            Assert.That(Fetch(Lab.WhoamiUrl, "--interface", "eth0"), Does.StartWith("error"), "the ordinary link is closed");
            Assert.That(Nft(), Does.Contain("table inet tunmux"));
            var status = _driver.Firewall();
            Assert.That((status.Active, status.KillSwitch, status.KillSwitchInstance, status.Lockdown),
                Is.EqualTo((true, true, InstanceNames.Direct, false)));
        });
        var leaked = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route while connected ({backend}): {leaked}");
        Assert.That(leaked, Is.Zero, "only the tunnel's encrypted traffic crossed the ordinary link");

        Assert.That(_driver.Down(InstanceNames.Direct), Is.True);
        before.AssertRestored(this, "after disconnect");
        Assert.That(_driver.Firewall().Active, Is.False);
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works again");
    }

    [Test]
    public void WithoutTheKillSwitchTheOrdinaryRouteWorksAfterDisconnectAndNothingOfTunmuxRemains()
    {
        var before = Saved.Of(this);
        _driver.Up(Direct(1, "kernel", killSwitch: false));
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(Nft(), Does.Not.Contain("tunmux"), "no firewall table without the kill switch");
        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
        Assert.That(Directory.Exists(_driver.TunnelsDir) ? Directory.GetFiles(_driver.TunnelsDir) : [], Is.Empty);
        Assert.That(File.Exists(Path.Combine(_driver.StateDir, "firewall.json")), Is.False);
        Assert.That(File.Exists(Path.Combine(_driver.RuntimeDir, "firewall.json")), Is.False);
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.DirectHostAddress));
    }

    [Test]
    public void AfterTheServersWireGuardStopsRequestsFailInsteadOfLeaking()
    {
        var before = Saved.Of(this);
        _leaks.ResetCounter();
        Assert.That(Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress));
        Assert.That(_leaks.Leaked(), Is.Positive, "the counter sees what takes the ordinary route");
        _driver.Up(Direct(3, "kernel", killSwitch: true));
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(3)));

        var server = $"{Lab.Name}-vpn3";
        foreach (var pid in Lab.Check(Lab.Run("ip", ["netns", "pids", server])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Lab.Run("kill", [pid.Trim()]);
        WaitFor(() => Lab.Check(Lab.Run("ip", ["netns", "pids", server])).Trim().Length == 0, "server 3's WireGuard to stop");

        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "by address");
            Assert.That(Fetch(Lab.WhoamiByName), Does.StartWith("error"), "by name");
            Assert.That(Fetch(Lab.WhoamiUrl, "--interface", "eth0"), Does.StartWith("error"), "by the ordinary link");
            Assert.That(Dig(LanResolver), Does.StartWith("error"), "the LAN's resolver");
            Assert.That(Whoami6(), Does.StartWith("error"), "IPv6");
        });
        var leaked = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route while the server was dead: {leaked}");
        Assert.That(leaked, Is.Zero, "nothing left by the ordinary route");

        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void WhenTheInterfaceItselfDiesOnlyTheKillSwitchStopsTheLeak(bool killSwitch)
    {
        var before = Saved.Of(this);
        _driver.Up(Direct(1, "kernel", killSwitch));
        var pid = ProxyModeTests.WireGuardGoPid(InstanceNames.Interface(InstanceNames.Direct));
        Assert.That(pid, Is.Not.Null, "this machine runs the interface in wireguard-go");
        Process.GetProcessById(pid!.Value).Kill();
        ProxyModeTests.WaitUntil(() => !ProxyModeTests.IsRunning(pid.Value));

        // The tunnel's routes went with the link: without the kill switch, the ordinary route is all that is left.
        var seen = Fetch(Lab.WhoamiUrl);
        if (killSwitch)
        {
            Assert.That(seen, Does.StartWith("error"), "fail closed");
            var info = _driver.Inspect(InstanceNames.Direct)!;
            Assert.That(info.Alive, Is.False);
            Assert.That(string.Join("; ", info.Problems), Does.Contain("disconnect _direct to remove it"));
        }
        else
        {
            Assert.That(seen, Is.EqualTo(Lab.DirectHostAddress), "the leak the kill switch exists for (wg-quick behaves the same)");
        }
        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
    }

    [Test]
    public void Ipv6FailsWhenTheProfileHasNoneWithOrWithoutTheKillSwitch()
    {
        var before = Saved.Of(this);
        Assert.That(Whoami6(), Is.EqualTo(DhostV6), "the ordinary IPv6 route works: a leak is possible");
        foreach (var killSwitch in new[] { false, true })
        {
            _driver.Up(Direct(1, "kernel", killSwitch));
            Assert.Multiple(() =>
            {
                Assert.That(Whoami6(), Does.StartWith("error"), $"kill switch {killSwitch}");
                Assert.That(Lab.Check(Lab.Run("ip", ["-n", Dhost, "-6", "route", "show", "table", "all"])), Does.Contain("unreachable default"));
                Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(1)), "IPv4 still goes through the tunnel");
            });
            // nft lists "meta nfproto ipv6 reject" as the IPv6 reject it implies.
            if (killSwitch) Assert.That(Nft(), Does.Contain("oifname \"wg-_direct\" reject with icmpv6"));
            _driver.Down(InstanceNames.Direct);
            before.AssertRestored(this, $"after disconnect (kill switch {killSwitch})");
            Assert.That(Whoami6(), Is.EqualTo(DhostV6));
        }
    }

    [Test]
    public void DisableIpv6BlocksIpv6EvenWhenTheProfileHasIt()
    {
        var before = Saved.Of(this);
        var args = Direct(1, "kernel", killSwitch: true);
        args = args with { DisableIpv6 = true, Profile = args.Profile with { Addresses = [.. args.Profile.Addresses, "fd00:2::11/128"] } };
        _driver.Up(args);
        Assert.Multiple(() =>
        {
            Assert.That(Lab.Check(Lab.Run("ip", ["-n", Dhost, "-6", "route", "show", "table", "all"])), Does.Contain("unreachable default"));
            Assert.That(Nft(), Does.Contain("oifname \"wg-_direct\" reject with icmpv6"));
            Assert.That(Whoami6(), Does.StartWith("error"));
        });
        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
    }

    [Test]
    public void DnsGoesOnlyToTheTunnelsResolver()
    {
        var before = Saved.Of(this);
        Assert.That(Dig(LanResolver), Is.EqualTo(Lab.WhoamiIp), "the LAN resolver answers before: a leak is possible");
        _driver.Up(Direct(1, "kernel", killSwitch: true));
        Assert.Multiple(() =>
        {
            Assert.That(Dig(Lab.DnsIp), Is.EqualTo(Lab.WhoamiIp), "the tunnel's resolver, through the tunnel");
            Assert.That(Dig(LanResolver), Does.StartWith("error"), "the LAN's resolver, which the main table reaches directly");
            Assert.That(Dig(LanResolver, "+tcp"), Does.StartWith("error"), "the same over TCP");
            Assert.That(Dig(InternetResolver), Does.StartWith("error"), "another resolver, reachable through the tunnel");
            Assert.That(Tcp(InternetResolver, 853), Is.False, "DNS over TLS to another resolver");
        });
        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
        Assert.That(Dig(LanResolver), Is.EqualTo(Lab.WhoamiIp));
    }

    [Test]
    public void LockdownBlocksWithNoConnectionHoldsAcrossRestartsLetsAConnectThroughAndOffRestoresEverything()
    {
        var before = Saved.Of(this);
        var on = _driver.Lockdown(true);
        Assert.That((on.Active, on.Lockdown, on.KillSwitch), Is.EqualTo((true, true, false)));
        Assert.Multiple(() =>
        {
            Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "no connection, nothing leaves");
            Assert.That(Whoami6(), Does.StartWith("error"));
            Assert.That(Dig(LanResolver), Does.StartWith("error"));
        });

        // A reboot empties the kernel's tables; the daemon's start puts lockdown back from its saved state.
        Lab.Check(Lab.InNamespace(Dhost, "nft", "delete", "table", "inet", "tunmux"));
        Assert.That(Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "(the table is really gone)");
        Assert.That(_driver.Firewall("restore").Lockdown, Is.True);
        Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "lockdown holds again");

        // A connect under lockdown needs no kill switch of its own.
        _driver.Up(Direct(1, "kernel", killSwitch: false));
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(1)));
        _driver.Down(InstanceNames.Direct);
        Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "disconnect leaves lockdown in place");

        var off = _driver.Lockdown(false);
        Assert.That(off.Active, Is.False);
        before.AssertRestored(this, "after lockdown off");
        Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.DirectHostAddress));
    }

    [Test]
    public void AConnectThatFailsKeepsTheKillSwitchAndSaysHowToRemoveIt()
    {
        var before = Saved.Of(this);
        // Server 2's key on server 1's address: no handshake ever comes.
        var args = Direct(1, "kernel", killSwitch: true) with { HandshakeTimeoutMs = 1500 };
        args = args with { Profile = args.Profile with { Peers = [args.Profile.Peers[0] with { PublicKey = Lab.NewClient(2).ServerPublicKey }] } };
        var r = _driver.TryUp(args);
        Assert.That(r.Ok, Is.False);
        Assert.That(r.Error, Does.Contain("except the kill switch").And.Contain("tunmux disconnect"));
        Assert.Multiple(() =>
        {
            Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "the user asked not to leak");
            var status = _driver.Firewall();
            Assert.That((status.Active, status.KillSwitch, status.KillSwitchHeld), Is.EqualTo((true, true, true)));
        });
        Assert.That(_driver.Down(InstanceNames.Direct), Is.True, "disconnect is what removes it");
        before.AssertRestored(this, "after disconnect");
    }

    [Test]
    public void ACrashMidConnectLeavesTheRulesAndDisconnectCleansUp()
    {
        var before = Saved.Of(this);
        var args = Direct(1, "kernel", killSwitch: true);
        var routes = _driver.Steps(args).ToList().IndexOf("routes");
        var r = _driver.TryUp(args, crashStep: routes);
        Assert.That(r.ExitCode, Is.EqualTo(70), r.ToString());

        // The daemon is gone; the kernel still holds the table.
        Assert.Multiple(() =>
        {
            Assert.That(Nft(), Does.Contain("table inet tunmux"));
            Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "fail closed");
            var status = File.ReadAllText(Path.Combine(_driver.RuntimeDir, "firewall.json"));
            Assert.That(status, Does.Contain("\"kill_switch\": true").Or.Contain("\"kill_switch\":true"));
            var info = _driver.Inspect(InstanceNames.Direct)!;
            Assert.That(string.Join("; ", info.Problems), Does.Contain("disconnect to clean up"));
        });
        Assert.That(_driver.Down(InstanceNames.Direct), Is.True);
        before.AssertRestored(this, "after disconnect");
        Assert.That(ProxyModeTests.WireGuardGoPid(InstanceNames.Interface(InstanceNames.Direct)), Is.Null);
    }

    [Test]
    public void ProxyExitsTrafficPassesLockdownAndTheKillSwitchByItsMark()
    {
        var driver = TunnelDriver.InDirectHostNetwork(Lab, "proxy_" + Environment.ProcessId);
        var before = Saved.Of(this);
        var proxy = Lab.InstanceName("kp");
        try
        {
            driver.Lockdown(true);
            // The exit's handshake passes by its mark; the stand-in's own traffic still does not.
            driver.Up(TunnelDriver.Args(Lab.NewClient(1), proxy, "proxy", "kernel",
                new ProxyArgs { SocksPort = 1080, HttpPort = 8118 }, keepalive: 25));
            Assert.Multiple(() =>
            {
                Assert.That(Lab.Whoami(InstanceNames.Namespace(proxy)), Is.EqualTo(Lab.ExitAddress(1)));
                Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"));
                Assert.That(Nft(), Does.Contain($"meta mark 0x0000ca6c ip daddr {Lab.ExitAddress(1)} udp dport 51820 accept"));
            });
            driver.Lockdown(false);

            // With direct mode's kill switch on server 2, the proxy exit's packets still go straight to server 1.
            driver.Up(Direct(2, "kernel", killSwitch: true));
            Assert.That(Lab.Whoami(InstanceNames.Namespace(proxy)), Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(Lab.Whoami(Dhost), Is.EqualTo(Lab.ExitAddress(2)));
            driver.Down(InstanceNames.Direct);
            driver.Down(proxy);
        }
        finally
        {
            driver.Run(["down", InstanceNames.Direct]);
            driver.Run(["down", proxy]);
            driver.Run(["lockdown", "off"]);
        }
        before.AssertRestored(this, "after both are gone");
    }

    [Test]
    public void UnderLockdownAConnectsApiRequestsPassForItsUserAloneWhileItsConnectionLasts()
    {
        const string user = "65534";
        var before = Saved.Of(this);
        _driver.Lockdown(true);
        Assert.That(FetchAs(user, Lab.WhoamiUrl), Does.StartWith("error"));

        // The whoami server stands in for a provider API; the console holds the hole until its stdin closes.
        using var client = _driver.Start(["allow-api", user, Lab.WhoamiIp + ":80"]);
        try
        {
            var first = client.StandardOutput.ReadLine();
            if (first != "allowed")
            {
                // Its error is complete only once it ends, and it ends when its stdin closes.
                client.StandardInput.Close();
                Assert.Fail($"allow-api answered '{first}': {client.StandardError.ReadToEnd()}");
            }
            Assert.Multiple(() =>
            {
                Assert.That(Nft(), Does.Contain($"meta skuid {user} ip daddr {Lab.WhoamiIp} tcp dport 80 accept"));
                Assert.That(FetchAs(user, Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "the connecting user, to the API");
                Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "anyone else");
                Assert.That(FetchAs(user, $"http://{InternetResolver}:853/"), Does.StartWith("error"), "that user, anywhere else");
            });
        }
        finally
        {
            client.StandardInput.Close();
            if (!client.WaitForExit(30_000))
            {
                client.Kill();
                Assert.Fail("allow-api did not end when its stdin closed");
            }
        }
        Assert.That(FetchAs(user, Lab.WhoamiUrl), Does.StartWith("error"), "closed with the connection");
        Assert.That(Nft(), Does.Not.Contain("skuid"));

        _driver.Lockdown(false);
        before.AssertRestored(this, "after lockdown off");
    }

    [Test]
    public void UnderLockdownARootlessExitsOwnerReachesItsEndpointByUdpAndNothingElseUntilTheExitGoes()
    {
        const string user = "65534";
        var before = Saved.Of(this);
        _driver.Lockdown(true);
        // The internet's resolver stands in for a rootless exit's server: UDP to one address and port, sent by a
        // process of the exit's owner (its pasta), as the daemon is told when the exit comes up.
        var endpoint = InternetResolver + ":53";
        Assert.That(DigAs(user, InternetResolver), Does.StartWith("error"), "closed before");
        var r = _driver.Run(["rootless-exit", user, "rl-1", endpoint]);
        Assert.That(r.Ok, Is.True, r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(Nft(), Does.Contain($"meta skuid {user} ip daddr {InternetResolver} udp dport 53 accept"));
            Assert.That(DigAs(user, InternetResolver), Is.EqualTo(Lab.WhoamiIp), "the exit's owner, to its endpoint");
            Assert.That(Dig(InternetResolver), Does.StartWith("error"), "another user (root), to the same endpoint");
            Assert.That(DigAs(user, InternetResolver, "+tcp"), Does.StartWith("error"), "the owner, by TCP");
            Assert.That(DigAs(user, LanResolver), Does.StartWith("error"), "the owner, to another address");
            Assert.That(FetchAs(user, Lab.WhoamiUrl), Does.StartWith("error"), "the owner, anything else");
        });
        Assert.That(_driver.Run(["rootless-exit", user, "rl-1"]).Ok, Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(DigAs(user, InternetResolver), Does.StartWith("error"), "closed when the exit is gone");
            Assert.That(Nft(), Does.Not.Contain("skuid"));
        });

        // Lockdown off ends the table, and what it let through with it: nothing of it comes back with the next lockdown.
        Assert.That(_driver.Run(["rootless-exit", user, "rl-1", endpoint]).Ok, Is.True);
        _driver.Lockdown(false);
        before.AssertRestored(this, "after lockdown off");
        _driver.Lockdown(true);
        Assert.That(Nft(), Does.Not.Contain("skuid"));
        _driver.Lockdown(false);
        // And with no table, nothing is opened or kept.
        Assert.That(_driver.Run(["rootless-exit", user, "rl-1", endpoint]).Ok, Is.True);
        Assert.That(File.Exists(Path.Combine(_driver.StateDir, "firewall.json")), Is.False);
        before.AssertRestored(this, "with no table");
    }

    [Test]
    public void TheRulesFollowAnExitToItsNextServer()
    {
        var before = Saved.Of(this);
        _driver.Up(Direct(1, "kernel", killSwitch: true));
        var next = Lab.NewClient(2);
        var iface = InstanceNames.Interface(InstanceNames.Direct);
        var first = Lab.Check(Lab.InNamespace(Dhost, "wg", "show", iface, "peers")).Trim();
        var oldAddress = Lab.Check(Lab.Run("ip", ["-n", Dhost, "-4", "-o", "addr", "show", "dev", iface])).Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];

        // A failover, as the supervisor does it: the next server's peer, key and address on the same interface.
        Lab.Check(Lab.InNamespace(Dhost, "wg", "set", iface, "peer", first, "remove"));
        Lab.Check(Lab.Run("ip", ["netns", "exec", Dhost, "wg", "set", iface, "private-key", "/dev/stdin"], next.PrivateKey + "\n"));
        Lab.Check(Lab.InNamespace(Dhost, "wg", "set", iface, "peer", next.ServerPublicKey, "endpoint", next.Endpoint,
            "allowed-ips", "0.0.0.0/0", "persistent-keepalive", "1"));
        // New address first: removing a link's last IPv4 address takes its routes with it.
        Ip(Dhost, "addr", "add", next.Address, "dev", iface);
        Ip(Dhost, "addr", "del", oldAddress, "dev", iface);
        Assert.That(Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "unannounced, the new server is not let through");

        Assert.That(_driver.Run(["allow-endpoint", InstanceNames.Direct, next.Endpoint]).Ok, Is.True);
        Assert.That(Nft(), Does.Contain($"ip daddr {Lab.ExitAddress(2)} udp dport 51820 accept"));
        // WireGuard retries a handshake that got no answer after 5 s.
        WaitFor(() => Fetch(Lab.WhoamiUrl) == Lab.ExitAddress(2), "the tunnel through server 2", TimeSpan.FromSeconds(20));

        _driver.Down(InstanceNames.Direct);
        before.AssertRestored(this, "after disconnect");
    }

    // --- helpers ---

    private TunnelUpArgs Direct(int server, string backend, bool killSwitch) =>
        TunnelDriver.Args(Lab.NewClient(server), InstanceNames.Direct, "direct", backend, keepalive: 25) with { KillSwitch = killSwitch };

    private string Nft() => Lab.Check(Lab.InNamespace(Dhost, "nft", "list", "ruleset"));

    private string Fetch(string url, params string[] extra) => _leaks.Fetch(url, extra);

    private string FetchAs(string uid, string url)
    {
        var r = Lab.InNamespace(Dhost, "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "curl", "-sS", "-m", "3", url);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    private string DigAs(string uid, string server, string transport = "+notcp")
    {
        var r = Lab.InNamespace(Dhost, "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups",
            "dig", "+short", "+time=2", "+tries=1", transport, "@" + server, "whoami.lab");
        var answer = r.Output.Trim();
        return r.Ok && System.Net.IPAddress.TryParse(answer, out _) ? answer : "error: " + (answer + " " + r.Error).Trim();
    }

    private string Whoami6() => _leaks.Whoami6();

    private string Dig(string server, string transport = "+notcp") => _leaks.Dig(server, transport);

    private bool Tcp(string host, int port) => _leaks.Tcp(host, port);

    private static void Ip(string ns, params string[] args) => Lab.Check(Lab.Run("ip", ["-n", ns, .. args]));

    private static void WaitFor(Func<bool> condition, string what, TimeSpan? limit = null) => LeakPaths.WaitFor(condition, what, limit);

    /// <summary>Everything of the stand-in a connect may change, saved to compare after disconnect or lockdown off.</summary>
    private sealed record Saved(NetworkSnapshot Network, string Ruleset, byte[] ResolvConf)
    {
        public static Saved Of(KillSwitchTests t) =>
            new(NetworkSnapshot.Of(t.Dhost), t.Nft(), File.ReadAllBytes(t.DhostResolvConf));

        public void AssertRestored(KillSwitchTests t, string when)
        {
            SnapshotAssert.Unchanged(t.Dhost, Network, when + ": routes, rules and links");
            Assert.That(t.Nft(), Is.EqualTo(Ruleset), when + ": nft list ruleset");
            Assert.That(File.ReadAllBytes(t.DhostResolvConf), Is.EqualTo(ResolvConf), when + ": resolv.conf byte for byte");
        }
    }
}
