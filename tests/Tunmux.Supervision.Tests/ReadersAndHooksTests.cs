using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;
using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Supervision.Tests;

/// <summary>The parsers of what interfaces say, the probe's query, the hooks' variables and the run-as-caller command line.</summary>
public class ReadersAndHooksTests
{
    private const string Peer = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    [Test]
    public void The_uapi_answer_gives_the_peers_counters_handshake_and_endpoint_and_nothing_of_the_private_key()
    {
        var hexPeer = Convert.ToHexStringLower(Convert.FromBase64String(Peer));
        var text = "private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\nlisten_port=41000\n" +
                   $"public_key={hexPeer}\nprotocol_version=1\nendpoint=198.18.11.2:51820\nlast_handshake_time_sec=1717243200\n" +
                   "last_handshake_time_nsec=500000000\ntx_bytes=92\nrx_bytes=148\npersistent_keepalive_interval=0\nallowed_ip=0.0.0.0/0\nerrno=0\n\n";
        var s = WireGuardReader.ParseUapi(text, Peer);
        Assert.That(s, Is.EqualTo(new InterfaceSnapshot(148, 92, DateTimeOffset.FromUnixTimeSeconds(1717243200).AddMilliseconds(500), Peer, "198.18.11.2:51820")));
    }

    [Test]
    public void A_peer_that_never_shook_hands_has_no_handshake_and_an_error_answer_is_an_error()
    {
        var hexPeer = Convert.ToHexStringLower(Convert.FromBase64String(Peer));
        Assert.That(WireGuardReader.ParseUapi($"public_key={hexPeer}\nlast_handshake_time_sec=0\nrx_bytes=0\ntx_bytes=148\nerrno=0\n\n", Peer).LatestHandshake, Is.Null);
        Assert.Throws<IOException>(() => WireGuardReader.ParseUapi("errno=19\n\n", Peer));
    }

    [Test]
    public void The_wg_dump_gives_the_configured_peers_numbers()
    {
        var dump = "PRIVATE\tPUBLIC\t41000\toff\n" +
                   $"other=\t(none)\t(none)\t10.0.0.0/8\t0\t0\t0\toff\n" +
                   $"{Peer}\t(none)\t198.18.12.2:51820\t0.0.0.0/0,::/0\t1717243200\t3000\t4000\t25\n";
        Assert.That(WireGuardReader.ParseDump(dump, Peer),
            Is.EqualTo(new InterfaceSnapshot(3000, 4000, DateTimeOffset.FromUnixTimeSeconds(1717243200), Peer, "198.18.12.2:51820")));
    }

    [Test]
    public void The_probe_is_a_17_byte_query_for_the_root_name_servers()
    {
        Assert.That(ConnectivityProbe.Query(0x1234), Is.EqualTo(new byte[] { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 }));
    }

    [Test]
    public async Task The_probe_counts_any_answer_with_its_id_and_nothing_else()
    {
        using var dns = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)dns.Client.LocalEndPoint!).Port;
        // A server that refuses everything still proves the round trip: the answer is a REFUSED with the same id.
        _ = Task.Run(async () =>
        {
            var r = await dns.ReceiveAsync();
            var a = r.Buffer.ToArray();
            a[2] |= 0x80;
            a[3] = 5;
            await dns.SendAsync(a, r.RemoteEndPoint);
        });
        using var probe = new ConnectivityProbe(ns: null) { Port = port };
        Assert.That(await probe.ProbeAsync(IPAddress.Loopback, TimeSpan.FromSeconds(2), CancellationToken.None), Is.True);
        // The server answers nothing more: the next probe times out.
        Assert.That(await probe.ProbeAsync(IPAddress.Loopback, TimeSpan.FromMilliseconds(300), CancellationToken.None), Is.False);
        Assert.That(await probe.ProbeAsync(null, TimeSpan.FromMilliseconds(300), CancellationToken.None), Is.Null, "nothing to ask");
    }

    [Test]
    public void Hooks_learn_the_exit_its_ports_and_proxies_but_never_a_proxy_password()
    {
        var record = new TunnelRecord
        {
            Instance = "us-1", Provider = "proton", Mode = "proxy", Backend = "kernel", Interface = "wg-us-1",
            Namespace = "tunmux_us-1", PeerPublicKey = Peer, Endpoint = "198.18.11.2:51820", SocksPort = 1080, HttpPort = 8118,
            Server = new ServerDto { Name = "US#1", Country = "US" }, Failovers = 2, ForwardedPort = 45001,
        };
        var v = ExitHooks.Variables(record, HookEvents.Failover, "US#7");
        Assert.That(v, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["TUNMUX_EVENT"] = "failover", ["TUNMUX_INSTANCE"] = "us-1", ["TUNMUX_PROVIDER"] = "proton", ["TUNMUX_SERVER"] = "US#1",
            ["TUNMUX_COUNTRY"] = "US", ["TUNMUX_MODE"] = "proxy", ["TUNMUX_NAMESPACE"] = "tunmux_us-1", ["TUNMUX_INTERFACE"] = "wg-us-1",
            ["TUNMUX_ENDPOINT"] = "198.18.11.2:51820", ["TUNMUX_FAILOVERS"] = "2", ["TUNMUX_SOCKS_PORT"] = "1080", ["TUNMUX_HTTP_PORT"] = "8118",
            ["ALL_PROXY"] = "socks5h://127.0.0.1:1080", ["all_proxy"] = "socks5h://127.0.0.1:1080",
            ["HTTP_PROXY"] = "http://127.0.0.1:8118", ["http_proxy"] = "http://127.0.0.1:8118",
            ["HTTPS_PROXY"] = "http://127.0.0.1:8118", ["https_proxy"] = "http://127.0.0.1:8118",
            ["TUNMUX_FORWARDED_PORT"] = "45001", ["TUNMUX_PREVIOUS_SERVER"] = "US#7",
        }));
    }

    [Test]
    public void A_program_for_a_caller_runs_through_setpriv_with_exactly_the_callers_ids_and_groups()
    {
        var argv = RunAsCaller.CommandLine(new RunAsCaller.Request
        {
            Caller = new CallerIdentity(1001, 1002, [1002, 27, 44]),
            File = "/bin/sh",
            Arguments = ["-c", "echo hi"],
        });
        Assert.That(argv.Skip(1), Is.EqualTo(new[] { "--reuid=1001", "--regid=1002", "--groups=1002,27,44", "--", "/bin/sh", "-c", "echo hi" }));
        Assert.That(Path.GetFileName(argv[0]), Is.EqualTo("setpriv"));
        Assert.That(Path.IsPathRooted(argv[0]), Is.True, "by absolute path, never through PATH");

        var inNamespace = RunAsCaller.CommandLine(new RunAsCaller.Request
        {
            Caller = new CallerIdentity(1001, 1001, []), File = "/usr/bin/curl", Namespace = "tunmux_us-1",
        });
        Assert.That(inNamespace.Skip(1).Take(3), Is.EqualTo(new[] { "netns", "exec", "tunmux_us-1" }));
        Assert.That(inNamespace, Does.Contain("--clear-groups"), "no groups is an answer too, never the daemon's own");
    }

    [Test]
    public void Run_as_caller_refuses_a_relative_program_and_a_namespace_that_is_not_an_exits()
    {
        var caller = new CallerIdentity(1001, 1001, []);
        Assert.Throws<ArgumentException>(() => RunAsCaller.CommandLine(new RunAsCaller.Request { Caller = caller, File = "sh" }));
        Assert.Throws<ArgumentException>(() => RunAsCaller.CommandLine(new RunAsCaller.Request { Caller = caller, File = "/bin/sh", Namespace = "lab-inet" }));
        Assert.Throws<ArgumentException>(() => RunAsCaller.CommandLine(new RunAsCaller.Request { Caller = caller, File = "/bin/sh", Namespace = "tunmux_../x" }));
    }

    [Test]
    public void Supervision_settings_from_config_shorten_every_timer_together()
    {
        var s = SupervisionSettings.From(new SupervisionArgs
        {
            Failover = false, CheckIntervalMs = 200, TrafficTimeoutMs = 1000, IdleProbeMs = 3000, RehandshakeTimeoutMs = 1500, PortForwardRenewMs = 2000,
        });
        Assert.Multiple(() =>
        {
            Assert.That(s.Failover, Is.False);
            Assert.That(s.CheckInterval, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
            Assert.That(s.ProbeTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(s.FailoverHandshakeTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
            Assert.That(s.PortForwardLifetime, Is.GreaterThan(s.PortForwardRenew), "a mapping outlives the interval between renewals");
            Assert.That(SupervisionSettings.From(null).PortForwardLifetime, Is.EqualTo(TimeSpan.FromSeconds(60)));
        });
    }
}

public class ProtocolDefaultsTests
{
    [Test]
    public void Supervision_without_a_failover_field_fails_over()
    {
        var args = System.Text.Json.JsonSerializer.Deserialize<SupervisionArgs>("""{"check_interval_ms":250}""", ProtocolJson.Options)!;
        Assert.That(args.Failover, Is.True);
        var up = System.Text.Json.JsonSerializer.Deserialize<TunnelUpArgs>(
            """{"instance":"a","provider":"lab","mode":"proxy","profile":{"private_key":"x","addresses":[],"peers":[]},"supervision":{"check_interval_ms":250}}""",
            ProtocolJson.Options)!;
        Assert.That(up.Supervision!.Failover, Is.True);
        Assert.That(up.Alternatives, Is.Empty, "an older client sends none");
    }
}
