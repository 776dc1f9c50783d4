using System.Text.Json;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests;

/// <summary>
/// Direct mode failing closed through the real CLI: <c>connect --kill-switch</c>, <c>--disable-ipv6</c> and
/// <c>tunmux lockdown on|off</c>, in the direct-mode host stand-in given every ordinary path a leak could take
/// (<see cref="LeakPaths"/>). What leaves by the ordinary route is counted on the far side of the stand-in's link;
/// after disconnect and lockdown off, its ruleset, routes, rules and resolv.conf are compared with the saved originals.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FailClosedTests : ProviderLab
{
    protected override string LabName => "tbe2eks";

    /// <summary>Server 2's WireGuard is killed by one test; 1 and 3 offer the same country for the failover test.</summary>
    protected override int Servers => 3;

    /// <summary>The supervisor's short timers (config.toml's keys): a check every 250 ms, silence suspect after 1.5 s.</summary>
    private const string FastSupervision =
        "health_check_interval_ms = 250\nhealth_idle_check_interval_ms = 250\nhealth_traffic_timeout_ms = 1500\nhealth_idle_probe_ms = 2000\nhealth_rehandshake_timeout_ms = 1500\n";


    private LeakPaths _leaks = null!;
    private MachineSnapshot _machine = null!;

    private string Dhost => Lab.DirectHostNamespace;

    [OneTimeSetUp]
    public void OpenTheOrdinaryPaths() => _leaks = LeakPaths.Open(Lab);

    [OneTimeTearDown]
    public void CloseTheOrdinaryPaths() => _leaks?.Dispose();

    [SetUp]
    public void SaveTheMachine() => _machine = MachineSnapshot.Take();

    [TearDown]
    public void TheMachineIsUntouched()
    {
        // After the sessions' cleanup (LabSession's own teardown runs later, so end them here first).
        EndSessions();
        Assert.That(MachineSnapshot.Take(), Is.EqualTo(_machine), "this machine's own ruleset, routes and rules are never touched");
    }

    [Test]
    public void Kill_switch_keeps_traffic_in_the_tunnel_stops_it_when_the_server_dies_and_disconnect_restores_everything()
    {
        var tm = Session();
        // Server 2 is this test's alone: its WireGuard is stopped below.
        var conf = WriteClientConf(tm, 2, LabName + "-ks");
        var before = Saved.Of(tm);
        _leaks.ResetCounter();
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works: a leak is possible");
        Assert.That(_leaks.Leaked(), Is.Positive, "the counter sees what takes the ordinary route");

        var up = tm.Tunmux("wgconf", "connect", "--file", conf, "--kill-switch");
        AssertOk(up, "connect --kill-switch");
        Assert.That(up.Output, Does.Contain("kill switch on"));
        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(2)), "by address, through the tunnel");
            Assert.That(_leaks.Fetch(Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)), "by name, through the tunnel's DNS");
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl, "--interface", "eth0"), Does.StartWith("error"), "the ordinary link is closed");
            Assert.That(Nft(), Does.Contain("table inet tunmux"));
            Assert.That(tm.Tunmux("status").Output, Does.Contain("Kill switch: on: nothing leaves outside the tunnel."));
            var firewall = StatusFirewall(tm);
            Assert.That((firewall.GetProperty("kill_switch").GetBoolean(), firewall.GetProperty("lockdown").GetBoolean()), Is.EqualTo((true, false)));
        });
        var whileUp = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route while connected: {whileUp}");
        Assert.That(whileUp, Is.Zero, "only the tunnel's encrypted traffic crossed the ordinary link");

        var server = $"{Lab.Name}-vpn2";
        foreach (var pid in Tunmux.TestSupport.Lab.Lab.Check(Run("ip", "netns", "pids", server)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Run("kill", pid.Trim());
        LeakPaths.WaitFor(() => Tunmux.TestSupport.Lab.Lab.Check(Run("ip", "netns", "pids", server)).Trim().Length == 0, "server 2's WireGuard to stop");

        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "by address");
            Assert.That(_leaks.Fetch(Lab.WhoamiByName), Does.StartWith("error"), "by name");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "the LAN's resolver");
            Assert.That(_leaks.Whoami6(), Does.StartWith("error"), "IPv6");
        });
        var leaked = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route while the server was dead: {leaked}");
        Assert.That(leaked, Is.Zero, "nothing left by the ordinary route");

        var down = tm.Tunmux("disconnect");
        AssertOk(down, "disconnect");
        Assert.That(down.Output, Does.Contain("kill switch removed"));
        before.AssertRestored(tm, "after disconnect");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works again");
        Assert.That(tm.Tunmux("status").Output, Does.Contain("Kill switch: off. Lockdown: off."));
    }

    [Test]
    public void With_the_kill_switch_neither_ipv6_nor_dns_leaks_and_disable_ipv6_blocks_ipv6_of_a_profile_that_has_it()
    {
        var tm = Session();
        // The profile offers IPv6; --disable-ipv6 must block it anyway.
        var conf = WriteClientConf(tm, 1, LabName + "-v6", text => string.Join('\n', text.Split('\n')
            .Select(l => l.StartsWith("Address", StringComparison.Ordinal) ? l + ", fd00:2::11/128" : l)));
        var before = Saved.Of(tm);
        Assert.That(_leaks.Whoami6(), Is.EqualTo(LeakPaths.StandInV6), "IPv6 works before: a leak is possible");
        Assert.That(_leaks.Dig(LeakPaths.LanResolver), Is.EqualTo(Lab.WhoamiIp), "the LAN's resolver answers before");

        var up = tm.Tunmux("wgconf", "connect", "--file", conf, "--kill-switch", "--disable-ipv6");
        AssertOk(up, "connect --kill-switch --disable-ipv6");
        Assert.That(up.Output, Does.Contain("IPv6 blocked"));
        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)), "IPv4 goes through the tunnel");
            Assert.That(_leaks.Whoami6(), Does.StartWith("error"), "IPv6 to the internet");
            Assert.That(Tunmux.TestSupport.Lab.Lab.Check(Run("ip", "-n", Dhost, "-6", "route", "show", "table", "all")), Does.Contain("unreachable default"));
            Assert.That(_leaks.Dig(Lab.DnsIp), Is.EqualTo(Lab.WhoamiIp), "the tunnel's resolver, through the tunnel");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "the LAN's resolver");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver, "+tcp"), Does.StartWith("error"), "the LAN's resolver over TCP");
            Assert.That(_leaks.Dig(LeakPaths.InternetResolver), Does.StartWith("error"), "another resolver, reachable through the tunnel");
            Assert.That(_leaks.Tcp(LeakPaths.InternetResolver, 853), Is.False, "DNS over TLS to another resolver");
        });
        var leaked = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route while connected (IPv6 and DNS tried): {leaked}");
        Assert.That(leaked, Is.Zero, "nothing left by the ordinary route");

        AssertOk(tm.Tunmux("disconnect"), "disconnect");
        before.AssertRestored(tm, "after disconnect");
        Assert.That(_leaks.Whoami6(), Is.EqualTo(LeakPaths.StandInV6));
        Assert.That(_leaks.Dig(LeakPaths.LanResolver), Is.EqualTo(Lab.WhoamiIp));
    }

    [Test]
    public void Lockdown_blocks_with_no_connection_lets_a_connect_through_and_off_restores_everything()
    {
        var tm = Session();
        var conf = WriteClientConf(tm, 1, LabName + "-ld");
        var before = Saved.Of(tm);

        var on = tm.Tunmux("lockdown", "on");
        AssertOk(on, "lockdown on");
        Assert.That(on.Output, Does.StartWith("Lockdown: on"));
        Assert.That(tm.Tunmux("lockdown").Output, Does.StartWith("Lockdown: on"), "shown without changing it");
        Assert.That(tm.Tunmux("status").Output, Does.Contain("Lockdown: on"));
        Assert.That(StatusFirewall(tm).GetProperty("lockdown").GetBoolean(), Is.True);

        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "no connection, nothing leaves");
            Assert.That(_leaks.Whoami6(), Does.StartWith("error"), "IPv6");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "DNS");
        });
        var leaked = _leaks.Leaked();
        TestContext.Out.WriteLine($"packets out by the ordinary route under lockdown: {leaked}");
        Assert.That(leaked, Is.Zero);

        // A direct connect under lockdown needs no --kill-switch; disconnect leaves lockdown in place.
        AssertOk(tm.Tunmux("wgconf", "connect", "--file", conf), "connect under lockdown");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)));
        var down = tm.Tunmux("disconnect");
        AssertOk(down, "disconnect");
        Assert.That(down.Output, Does.Contain("Lockdown is still on"));
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "still locked down");

        var off = tm.Tunmux("lockdown", "off");
        AssertOk(off, "lockdown off");
        Assert.That(off.Output, Does.StartWith("Lockdown: off"));
        before.AssertRestored(tm, "after lockdown off");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress));
        Assert.That(StatusFirewall(tm).GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public void Lockdown_with_allow_lan_lets_the_local_subnet_through_and_nothing_else()
    {
        var tm = Session();
        var before = Saved.Of(tm);
        AssertOk(tm.Tunmux("lockdown", "on", "--allow-lan"), "lockdown on --allow-lan");
        Assert.That(tm.Tunmux("status").Output, Does.Contain("Lockdown: on (LAN allowed)"));
        _leaks.ResetCounter();
        Assert.Multiple(() =>
        {
            Assert.That(_leaks.Fetch(LeakPaths.LanUrl), Is.EqualTo(Lab.DirectHostAddress), "the LAN");
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Does.StartWith("error"), "the internet, by the LAN's router");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "DNS, even to the LAN");
        });
        AssertOk(tm.Tunmux("lockdown", "off"), "lockdown off");
        before.AssertRestored(tm, "after lockdown off");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Without_the_kill_switch_nothing_of_tunmux_remains_after_disconnect(bool configTurnsItOn)
    {
        var tm = Session();
        var conf = WriteClientConf(tm, 1, LabName + "-plain");
        // general.kill_switch = true, and --no-kill-switch turning it off for this one connect.
        if (configTurnsItOn) File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"), "kill_switch = true\n");
        var before = Saved.Of(tm);

        var up = tm.Tunmux(["wgconf", "connect", "--file", conf, .. configTurnsItOn ? new[] { "--no-kill-switch" } : []]);
        AssertOk(up, "connect");
        Assert.That(up.Output, Does.Not.Contain("kill switch on"));
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(Nft(), Does.Not.Contain("tunmux"), "no firewall table without the kill switch");
        Assert.That(tm.Tunmux("status").Output, Does.Contain("Kill switch: off. Lockdown: off."));

        AssertOk(tm.Tunmux("disconnect"), "disconnect");
        before.AssertRestored(tm, "after disconnect");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works again");
        Assert.That(File.Exists(Path.Combine(tm.StateDir, "firewall.json")) || File.Exists(Path.Combine(tm.RuntimeDir, "firewall.json")), Is.False);
    }

    [Test]
    public void A_supervised_failover_under_the_kill_switch_leaks_nothing_and_the_rules_follow_the_exit_to_the_next_server()
    {
        // Two lab servers answer the same request (Proton, country XL): server 3 ranks first, server 1 next.
        var tm = StartWithFake(direct: true, session =>
        {
            var logicals = Path.Combine(session.WorkDir, "logicals.json");
            File.WriteAllText(logicals, JsonSerializer.Serialize(new
            {
                Code = 1000,
                LogicalServers = new[]
                {
                    ProtonLogical(3, ServerName("XL#3"), "XL", "Labtown", score: 1.0),
                    ProtonLogical(1, ServerName("XL#1"), "XL", "Labtown", score: 2.0),
                },
            }));
            return FakeApi.Start(session.Namespace, "Tunmux.Fakes.Proton",
                ["--port", "18081", "--logicals", logicals, "--hook", "sh", WriteAddPeerHook(session, [1, 3]), "{pubkey}", "{address}"]);
        }, session =>
        {
            session.Env["TUNMUX_PROTON_API_URL"] = "http://127.0.0.1:18081";
            AssertOk(session.TunmuxWithInput("labpass\n", "proton", "login", "labuser", "--password-stdin"), "proton login");
        });
        Track(new Cleanup(() => tm.Tunmux("lockdown", "off")));
        File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"), FastSupervision);
        var first = Lab.ExitAddress(3);
        var next = Lab.ExitAddress(1);
        var before = Saved.Of(tm);

        AssertOk(tm.Tunmux("proton", "connect", "--country", "XL", "--kill-switch"), "proton connect --kill-switch");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(first), "through the first server");
        Assert.Multiple(() =>
        {
            Assert.That(Nft(), Does.Contain($"ip daddr {first} udp dport 51820 accept"), "the first server's endpoint passes");
            Assert.That(Nft(), Does.Not.Contain($"ip daddr {next} "), "the next one not yet");
        });

        AssertOk(Lab.Script("stop-server", "3"), "stop server 3");
        try
        {
            _leaks.ResetCounter();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var seen = new List<string>();
            // Right after the stop the supervisor cannot know yet (it waits 1.5 s of silence): these must fail, not leak.
            seen.Add(_leaks.Fetch(Lab.WhoamiUrl, "-m", "1"));
            Assert.That(seen[0], Does.StartWith("error"), "by address while the server is dead");
            Assert.That(_leaks.Fetch(Lab.WhoamiUrl, "-m", "1", "--interface", "eth0"), Does.StartWith("error"), "the ordinary link");
            Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "the LAN's resolver");
            // A client that keeps asking, by address and by name: the dead server's time is errors, then the next server.
            while (seen[^1] != next && clock.Elapsed < TimeSpan.FromSeconds(45))
            {
                seen.Add(_leaks.Fetch(Lab.WhoamiUrl, "-m", "1"));
                seen.Add(_leaks.Fetch(Lab.WhoamiByName, "-m", "1"));
                Thread.Sleep(200);
            }
            TestContext.Out.WriteLine($"failover seen after {clock.Elapsed.TotalSeconds:0.0} s; answers: {string.Join(" | ", seen)}");
            Assert.That(seen[^1], Is.EqualTo(next), "after the failover, traffic leaves through the next server");
            Assert.That(seen.Where(a => !a.StartsWith("error", StringComparison.Ordinal)), Has.All.EqualTo(next),
                "never the stand-in's own address, never the dead server's");
            var leaked = _leaks.Leaked();
            TestContext.Out.WriteLine($"packets out by the ordinary route from the stop to the failover: {leaked}");
            Assert.That(leaked, Is.Zero, "nothing left by the ordinary route during the outage");

            var ruleset = Nft();
            var connection = tm.Status().Single();
            Assert.Multiple(() =>
            {
                Assert.That(ruleset, Does.Contain($"ip daddr {next} udp dport 51820 accept"), "the new endpoint passes");
                Assert.That(ruleset, Does.Not.Contain($"ip daddr {first} "), "the old endpoint no longer does");
                Assert.That(connection.GetProperty("failovers").GetInt32(), Is.EqualTo(1));
                Assert.That(connection.GetProperty("server").GetString(), Is.EqualTo(ServerName("XL#1")));
                Assert.That(_leaks.Fetch(Lab.WhoamiUrl, "--interface", "eth0"), Does.StartWith("error"), "the ordinary link stays closed");
                Assert.That(_leaks.Dig(LeakPaths.LanResolver), Does.StartWith("error"), "and DNS outside the tunnel");
            });
            _leaks.ResetCounter();
            Assert.That(_leaks.Fetch(Lab.WhoamiByName), Is.EqualTo(next), "by name, through the new server's DNS");
            Assert.That(_leaks.Leaked(), Is.Zero);
        }
        finally
        {
            Lab.Script("start-server", "3");
        }

        var down = tm.Tunmux("disconnect");
        AssertOk(down, "disconnect");
        Assert.That(down.Output, Does.Contain("kill switch removed"));
        before.AssertRestored(tm, "after disconnect");
        Assert.That(_leaks.Fetch(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress), "the ordinary route works again");
    }

    // --- helpers ---

    /// <summary>A direct-mode session whose lockdown is turned off after the test, whatever happened.</summary>
    private TunmuxSession Session()
    {
        var tm = NewSession(direct: true);
        Track(new Cleanup(() => tm.Tunmux("lockdown", "off")));
        return tm;
    }

    private string Nft() => Tunmux.TestSupport.Lab.Lab.Check(Tunmux.TestSupport.Lab.Lab.InNamespace(Dhost, "nft", "list", "ruleset"));

    private static JsonElement StatusFirewall(TunmuxSession tm)
    {
        var r = tm.Tunmux("status", "--json");
        AssertOk(r, "status --json");
        using var doc = JsonDocument.Parse(r.Output);
        return doc.RootElement.GetProperty("firewall").Clone();
    }

    /// <summary>Everything of the stand-in a connect may change, saved to compare after disconnect or lockdown off.</summary>
    private sealed record Saved(string Network, string Ruleset, byte[] ResolvConf)
    {
        public static Saved Of(TunmuxSession tm) => new(tm.NetworkSnapshot(), RulesetOf(tm), File.ReadAllBytes(ResolvConfOf(tm)));

        public void AssertRestored(TunmuxSession tm, string when)
        {
            // The kernel may take a moment to drop a deleted link's routes.
            for (var i = 0; i < 40 && tm.NetworkSnapshot() != Network; i++) Thread.Sleep(50);
            Assert.Multiple(() =>
            {
                Assert.That(tm.NetworkSnapshot(), Is.EqualTo(Network), when + ": routes, rules and addresses");
                Assert.That(RulesetOf(tm), Is.EqualTo(Ruleset), when + ": nft list ruleset");
                Assert.That(File.ReadAllBytes(ResolvConfOf(tm)), Is.EqualTo(ResolvConf), when + ": resolv.conf byte for byte");
            });
        }

        private static string RulesetOf(TunmuxSession tm) => Tunmux.TestSupport.Lab.Lab.Check(tm.Exec("nft", ["list", "ruleset"]));

        private static string ResolvConfOf(TunmuxSession tm) => $"/etc/netns/{tm.Namespace}/resolv.conf";
    }
}
