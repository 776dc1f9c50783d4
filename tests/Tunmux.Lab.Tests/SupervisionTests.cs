using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Tunmux.Host.Privileged;
using Tunmux.LabTests.Support;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests;

/// <summary>
/// Exits that stay up, through the published tunmux and its daemon: a dead server fails over on the same ports,
/// a killed proxy heals on the same ports, hooks run as the user who connected, NAT-PMP maps and renews a port.
/// Timers are shortened through the connect's settings (config.toml's keys), never inside the daemon.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SupervisionTests : LabSession
{
    protected override string LabName => "tbsup";

    /// <summary>Short timers: a check every 250 ms, silence suspect after 1.5 s, a new handshake given 1.5 s.</summary>
    private static readonly SupervisionArgs Fast = new()
    {
        CheckIntervalMs = 250, TrafficTimeoutMs = 1500, IdleProbeMs = 2000, RehandshakeTimeoutMs = 1500, RetryAfterFailureMs = 2000,
    };

    private const string FastConfig =
        "health_check_interval_ms = 250\nhealth_traffic_timeout_ms = 1500\nhealth_idle_probe_ms = 2000\nhealth_rehandshake_timeout_ms = 1500\n";

    [Test]
    public async Task A_dead_server_fails_over_within_a_minute_while_a_client_keeps_using_the_same_socks_port()
    {
        var tm = NewSession();
        StartDaemon(tm);
        var first = Lab.NewClient(1);
        var second = Lab.NewClient(2);
        var instance = Lab.InstanceName("fo");
        DownAfterTest(tm, instance);
        var args = Up(first, instance, 1080, 8118) with
        {
            Server = new ServerDto { Name = "LAB#1", Country = "XL" },
            Alternatives = [new AlternativeDto { Server = new ServerDto { Name = "LAB#2", Country = "XL" }, Profile = Up(second, instance, 1080, 8118).Profile }],
            Supervision = Fast,
        };
        await using (var client = await Client(tm))
            Assert.That((await client.TunnelUpAsync(args, CancellationToken.None)).Server?.Name, Is.EqualTo("LAB#1"));
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)));

        AssertOk(Lab.Script("stop-server", "1"), "stop server 1");
        try
        {
            var clock = Stopwatch.StartNew();
            string seen;
            do
            {
                // A client that keeps asking through the same port, each request bounded.
                seen = tm.Curl("--socks5-hostname", "127.0.0.1:1080", "-m", "2", Lab.WhoamiUrl);
                if (seen != Lab.ExitAddress(2)) Thread.Sleep(250);
            }
            while (seen != Lab.ExitAddress(2) && clock.Elapsed < TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine($"failover seen by the client after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.That(seen, Is.EqualTo(Lab.ExitAddress(2)), "through the same SOCKS5 port, the second server's exit address within 60 s");

            await using var client = await Client(tm);
            var info = (await client.TunnelInspectAsync(instance, CancellationToken.None))!;
            Assert.Multiple(() =>
            {
                Assert.That(info.Server?.Name, Is.EqualTo("LAB#2"));
                Assert.That(info.SocksPort, Is.EqualTo(1080));
                Assert.That(info.HttpPort, Is.EqualTo(8118));
                Assert.That(info.Health?.Failovers, Is.EqualTo(1));
                Assert.That(info.Health?.State, Is.EqualTo("up"), info.Health?.Reason);
                Assert.That(info.Endpoint, Is.EqualTo(second.Endpoint));
                Assert.That(InstanceNamespaces(), Is.EqualTo(new[] { InstanceNames.Namespace(instance) }), "the same namespace");
            });
            Assert.That(tm.Curl("-x", "http://127.0.0.1:8118", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(2)), "the HTTP port too");
            Assert.That(ExitLog(tm, instance), Does.Contain("failed over from LAB#1 to LAB#2"));
        }
        finally
        {
            Lab.Script("start-server", "1");
        }
        await using (var client = await Client(tm))
            Assert.That((await client.TunnelDownAsync(instance, CancellationToken.None)).WasUp, Is.True);
        Assert.That(File.Exists(Path.Combine(tm.StateDir, "supervision", instance + ".json")), Is.False, "the ranked profiles' keys go with the exit");
    }

    [Test]
    public void A_proxy_killed_with_sigkill_is_healed_within_five_seconds_on_the_same_ports()
    {
        var tm = NewSession();
        var conf = WriteClientConf(tm, 1, LabName + "-heal");
        AssertOk(tm.Tunmux("wgconf", "connect", "--proxy", "--file", conf), "connect");
        var before = tm.Status().Single();
        var pid = before.GetProperty("proxy_pid").GetInt32();
        Assert.That(before.GetProperty("supervised").GetBoolean(), Is.True, before.ToString());
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)));

        var clock = Stopwatch.StartNew();
        AssertOk(Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture)), "kill -9 the proxy");
        // Asked right away: the request waits in the listener's backlog (the daemon keeps the socket) until the new proxy takes it.
        var answer = tm.Curl("--socks5-hostname", "127.0.0.1:1080", "-m", "10", Lab.WhoamiUrl);
        var healed = clock.Elapsed;
        TestContext.Out.WriteLine($"healed after {healed.TotalSeconds:0.00} s");
        Assert.Multiple(() =>
        {
            Assert.That(answer, Is.EqualTo(Lab.ExitAddress(1)));
            Assert.That(healed, Is.LessThan(TimeSpan.FromSeconds(5)));
            Assert.That(tm.Curl("-x", "http://127.0.0.1:8118", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)), "the HTTP port too");
        });
        var after = tm.Status().Single();
        Assert.Multiple(() =>
        {
            Assert.That(after.GetProperty("proxy_pid").GetInt32(), Is.Not.EqualTo(pid), "a new process");
            Assert.That(after.GetProperty("socks_port").GetInt32(), Is.EqualTo(1080));
            Assert.That(after.GetProperty("proxy_restarts").GetInt32(), Is.EqualTo(1));
            Assert.That(after.GetProperty("state").GetString(), Is.EqualTo("up"));
        });
    }

    [Test]
    public void Status_json_shows_handshake_age_counters_state_and_failovers_and_wg_shows_the_interface()
    {
        var tm = NewSession();
        File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"), FastConfig);
        var conf = WriteClientConf(tm, 2, LabName + "-st");
        AssertOk(tm.Tunmux("wgconf", "connect", "--proxy", "--file", conf), "connect");
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(2)));
        // The next check reads the counters the request moved.
        Thread.Sleep(600);
        var s = tm.Status().Single();
        Assert.Multiple(() =>
        {
            Assert.That(s.GetProperty("state").GetString(), Is.EqualTo("up"));
            Assert.That(s.GetProperty("supervised").GetBoolean(), Is.True);
            Assert.That(s.GetProperty("handshake_age_s").GetInt64(), Is.InRange(0, 30));
            Assert.That(s.GetProperty("latest_handshake").ValueKind, Is.EqualTo(JsonValueKind.String));
            Assert.That(s.GetProperty("rx_bytes").GetInt64(), Is.GreaterThan(0));
            Assert.That(s.GetProperty("tx_bytes").GetInt64(), Is.GreaterThan(0));
            Assert.That(s.GetProperty("failovers").GetInt32(), Is.Zero);
            Assert.That(s.GetProperty("failover").GetBoolean(), Is.True);
            Assert.That(s.GetProperty("proxy_restarts").GetInt32(), Is.Zero);
            Assert.That(s.GetProperty("alive").GetBoolean(), Is.True);
        });
        // --check: the address the what-is-my-IP service sees, asked through the exit's own port.
        File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"), $"check_url = \"{Lab.WhoamiUrl}\"\n");
        var check = tm.Tunmux("status", "--json", "--check");
        AssertOk(check, "status --check");
        using (var checkedJson = JsonDocument.Parse(check.Output))
            Assert.That(checkedJson.RootElement.GetProperty("connections")[0].GetProperty("exit_address").GetString(), Is.EqualTo(Lab.ExitAddress(2)));
        var table = tm.Tunmux("status");
        AssertOk(table, "status");
        Assert.That(table.Output, Does.Contain("HANDSHAKE").And.Contain("TRANSFER").And.Contain(" ago").And.Contain("rx "));

        // A dead server without an alternative: degraded, then failed with the reason, and back up when it returns.
        AssertOk(Lab.Script("stop-server", "2"), "stop server 2");
        try
        {
            tm.Curl("--socks5-hostname", "127.0.0.1:1080", "-m", "2", Lab.WhoamiUrl);
            WaitUntil(() => tm.Status().Single().GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(20));
            var failed = tm.Status().Single();
            Assert.That(failed.GetProperty("state_reason").GetString(), Does.Contain("no other server to fail over to"));
            Assert.That(failed.GetProperty("alive").GetBoolean(), Is.False);
        }
        finally
        {
            Lab.Script("start-server", "2");
        }
    }

    [Test]
    public void A_failing_ifup_hook_is_reported_and_the_exit_stays_up()
    {
        var tm = NewSession();
        File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"), "ifup = \"echo registering; echo pool is full >&2; exit 3\"\n");
        var conf = WriteClientConf(tm, 1, LabName + "-hf");
        var r = tm.Tunmux("wgconf", "connect", "--proxy", "--file", conf);
        AssertOk(r, "connect with a failing ifup");
        Assert.Multiple(() =>
        {
            Assert.That(r.Error, Does.Contain("warning: ifup hook failed (exit 3): pool is full"));
            Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)), "not undone");
            Assert.That(ExitLog(tm, LabName + "-hf"), Does.Contain("ifup: registering").And.Contain("ifup: pool is full"), "output in the exit's log");
        });
    }

    [Test]
    public void Hooks_run_as_the_user_who_connected_with_the_documented_variables()
    {
        using var user = LocalUser.Create("tmxh");
        var tm = NewSession();
        // The user's own folders: config (with the hooks) and a place for the hooks to write to.
        var hookDir = Path.Combine(tm.WorkDir, "hooks");
        Directory.CreateDirectory(hookDir);
        File.AppendAllText(Path.Combine(tm.ConfigDir, "config.toml"),
            $"privileged_authorized_group = \"{user.Group}\"\n" +
            $"ifup = \"id -u > {hookDir}/$TUNMUX_EVENT.uid; id -G > {hookDir}/$TUNMUX_EVENT.groups; env > {hookDir}/$TUNMUX_EVENT.env\"\n" +
            $"ifdown = \"env > {hookDir}/down.env; id -u > {hookDir}/down.uid\"\n");
        var conf = WriteClientConf(tm, 1, LabName + "-usr");
        File.SetUnixFileMode(tm.WorkDir, (UnixFileMode)0b111_101_101);
        AssertOk(Run("chown", "-R", $"{user.Uid}:{user.Gid}", tm.ConfigDir, hookDir, conf), "chown the user's files");
        StartDaemon(tm, user.Group);
        tm.RunAs = user.Setpriv;

        var r = tm.Tunmux("wgconf", "connect", "--proxy", "--file", conf);
        AssertOk(r, "connect as " + user.Name);
        Assert.That(r.Error, Does.Not.Contain("warning"));
        var env = ReadEnv(Path.Combine(hookDir, "up.env"));
        var instance = LabName + "-usr";
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(Path.Combine(hookDir, "up.uid")).Trim(), Is.EqualTo(user.Uid.ToString(CultureInfo.InvariantCulture)), "never root");
            Assert.That(File.ReadAllText(Path.Combine(hookDir, "up.groups")).Trim().Split(' '), Is.EquivalentTo(new[] { user.Gid.ToString(CultureInfo.InvariantCulture) }),
                "exactly the caller's groups, none of root's");
            Assert.That(new FileInfo(Path.Combine(hookDir, "up.env")).UnixFileMode, Is.Not.EqualTo(UnixFileMode.None));
            Assert.That(env["TUNMUX_EVENT"], Is.EqualTo("up"));
            Assert.That(env["TUNMUX_INSTANCE"], Is.EqualTo(instance));
            Assert.That(env["TUNMUX_PROVIDER"], Is.EqualTo("wgconf"));
            Assert.That(env["TUNMUX_MODE"], Is.EqualTo("proxy"));
            Assert.That(env["TUNMUX_NAMESPACE"], Is.EqualTo(InstanceNames.Namespace(instance)));
            Assert.That(env["TUNMUX_INTERFACE"], Is.EqualTo(InstanceNames.Interface(instance)));
            Assert.That(env["TUNMUX_SOCKS_PORT"], Is.EqualTo("1080"));
            Assert.That(env["TUNMUX_HTTP_PORT"], Is.EqualTo("8118"));
            Assert.That(env["ALL_PROXY"], Is.EqualTo("socks5h://127.0.0.1:1080"));
            Assert.That(env["HTTP_PROXY"], Is.EqualTo("http://127.0.0.1:8118"));
            Assert.That(env["USER"], Is.EqualTo(user.Name));
            Assert.That(env.Keys, Has.None.StartsWith("TUNMUX_RUNTIME").And.None.StartsWith("SUDO"), "nothing of the daemon's environment");
        });
        // A hook's proxies work for the hook: that is how automation registers the exit with its pool.
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)));

        AssertOk(tm.Tunmux("disconnect", instance), "disconnect as " + user.Name);
        var down = ReadEnv(Path.Combine(hookDir, "down.env"));
        Assert.Multiple(() =>
        {
            Assert.That(down["TUNMUX_EVENT"], Is.EqualTo("down"));
            Assert.That(File.ReadAllText(Path.Combine(hookDir, "down.uid")).Trim(), Is.EqualTo(user.Uid.ToString(CultureInfo.InvariantCulture)));
        });
    }

    [Test]
    public async Task Nat_pmp_maps_a_port_at_the_servers_gateway_renews_it_and_the_port_reaches_the_exit()
    {
        var tm = NewSession();
        StartDaemon(tm);
        var client = Lab.NewClient(1);
        var instance = Lab.InstanceName("pmp");
        DownAfterTest(tm, instance);
        var args = Up(client, instance, 1082, 8120);
        args = args with
        {
            Profile = args.Profile with { PortForwardGateway = "10.2.1.1" },
            Supervision = new SupervisionArgs { PortForwardRenewMs = 1000 },
        };
        int port;
        await using (var c = await Client(tm))
        {
            var info = await c.TunnelUpAsync(args, CancellationToken.None);
            Assert.That(info.Warnings, Is.Empty);
            port = info.Health?.ForwardedPort ?? 0;
        }
        Assert.That(port, Is.InRange(40100, 40199), "the lab gateway's ports for server 1");

        var log = Path.Combine(Lab.Dir, "natpmp1.log");
        var address = client.Address.Split('/')[0];
        WaitUntil(() => Renewals(log, address, port) >= 2, TimeSpan.FromSeconds(10));
        Assert.That(File.ReadAllLines(log).Where(l => l.Contains($"client={address} ", StringComparison.Ordinal)),
            Has.All.Contains("internal=1").And.All.Contains($"port={port}"), "one port for both protocols, the same on every renewal");

        // The public port reaches a listener inside the exit: from the fake internet to the server's address.
        var ns = InstanceNames.Namespace(instance);
        var listener = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "python3", "-m", "http.server", port.ToString(CultureInfo.InvariantCulture), "--bind", address])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            string? seen = null;
            WaitUntil(() =>
            {
                var r = Tunmux.TestSupport.Lab.Lab.InNamespace(Lab.InternetNamespace, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2",
                    $"http://{Lab.ExitAddress(1)}:{port}/");
                seen = r.Output.Trim();
                return seen == "200";
            }, TimeSpan.FromSeconds(10));
            Assert.That(seen, Is.EqualTo("200"));
        }
        finally
        {
            listener.Kill();
            listener.WaitForExit();
        }
        await using (var c = await Client(tm))
            Assert.That((await c.TunnelInspectAsync(instance, CancellationToken.None))!.Health!.ForwardedPort, Is.EqualTo(port));
    }

    private static int Renewals(string log, string address, int port) =>
        File.Exists(log)
            ? File.ReadAllLines(log).Count(l => l.StartsWith("op=1 ", StringComparison.Ordinal)
                                                && l.Contains($"client={address} ", StringComparison.Ordinal)
                                                && l.Contains($"suggested={port} ", StringComparison.Ordinal))
            : 0;

    private static TunnelUpArgs Up(LabClient c, string instance, int socks, int http) => new()
    {
        Instance = instance,
        Provider = "lab",
        Mode = "proxy",
        Proxy = new ProxyArgs { SocksPort = socks, HttpPort = http },
        Profile = new ProfileDto
        {
            PrivateKey = c.PrivateKey,
            Addresses = [c.Address],
            Dns = ["10.2.0.1"],
            Peers = [new PeerDto { PublicKey = c.ServerPublicKey, Endpoint = c.Endpoint, AllowedIps = ["0.0.0.0/0", "::/0"] }],
        },
    };

    /// <summary>Takes an exit brought up through the protocol down after the test (the session only knows the CLI's), and shows its log.</summary>
    private void DownAfterTest(TunmuxSession tm, string instance) => Track(new Cleanup(() =>
    {
        TestContext.Out.WriteLine($"--- exit log of {instance}:\n{ExitLog(tm, instance)}");
        foreach (var pmp in Directory.EnumerateFiles(Lab.Dir, "natpmp*.*"))
            TestContext.Out.WriteLine($"--- {Path.GetFileName(pmp)}:\n{File.ReadAllText(pmp)}");
        var daemonOut = Path.Combine(tm.WorkDir, "daemon.out");
        if (File.Exists(daemonOut)) TestContext.Out.WriteLine("--- daemon output:\n" + File.ReadAllText(daemonOut));
        var client = Client(tm).GetAwaiter().GetResult();
        try { client.TunnelDownAsync(instance, CancellationToken.None).GetAwaiter().GetResult(); }
        finally { client.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }));

    private static Task<IPrivilegedClient> Client(TunmuxSession tm) =>
        PrivilegedClient.ConnectAsync(new PrivilegedClientOptions { Autostart = false, Paths = new PrivilegedPaths(tm.RuntimeDir, tm.StateDir) },
            CancellationToken.None);

    private static string ExitLog(TunmuxSession tm, string instance)
    {
        var path = Path.Combine(tm.StateDir, "exits", instance + ".log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadAllLines(path).Where(l => l.Contains('=')).Select(l => l.Split('=', 2))
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);

    private static void WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"condition not met within {timeout.TotalSeconds:0} s");
            Thread.Sleep(100);
        }
    }
}
