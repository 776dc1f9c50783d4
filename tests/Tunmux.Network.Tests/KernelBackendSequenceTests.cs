using NUnit.Framework;
using Tunmux.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Tunnels;
using Tunmux.TestSupport;

namespace Tunmux.Network.Tests;

/// <summary>
/// The kernel backend's exact command sequence, checked against fake <c>ip</c> and <c>wg</c>
/// programs that log and succeed (this machine has no kernel WireGuard module, so the real
/// thing is an explicit skip in <see cref="DirectModeTests.KernelModuleEndToEnd"/>). Needs no root.
/// </summary>
[TestFixture]
public sealed class KernelBackendSequenceTests
{
    private const string Key = "YH5p1xZl2cPaY7l/4JSyjxuf0TB6DOY5u4UXNhflM0I=";
    private const string Peer = "fM/3lcylnJ24xA/SXbDXjmVQfAKAuTr2Gd9B2KEx8nk=";
    private TempDir _dir = null!;
    private ProcessRunner _runner = null!;
    private TunnelService _service = null!;
    private RecordingProxy _proxy = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("tunmux-seq-");
        Directory.CreateDirectory(_dir.Combine("bin"));
        Directory.CreateDirectory(_dir.Combine("netns"));
        Directory.CreateDirectory(_dir.Combine("etc-netns"));
        File.WriteAllText(_dir.Combine("resolv.conf"), "nameserver 192.0.2.53\n");
        File.WriteAllText(_dir.Combine("src_valid_mark"), "0\n");
        // Fake ip: logs, keeps named namespaces as files, prints nothing for "route show" (free tables).
        Fake("ip", $$"""
            if [ "$1" = netns ] && [ "$2" = add ]; then touch '{{_dir.Combine("netns")}}'/"$3"; fi
            if [ "$1" = netns ] && [ "$2" = del ]; then rm -f '{{_dir.Combine("netns")}}'/"$3"; fi
            if [ "$1" = netns ] && [ "$2" = exec ]; then shift 3; exec "$@"; fi
            exit 0
            """);
        // Fake wg: what came on stdin is logged (keys must arrive there), handshakes are "now".
        Fake("wg", $$"""
            case "$*" in *"/dev/stdin"*) cat >> '{{_dir.Combine("stdin.log")}}';; esac
            if [ "$1" = show ] && [ "$3" = latest-handshakes ]; then printf '%s\t%s\n' '{{Peer}}' "$(date +%s)"; fi
            if [ "$1" = show ] && [ "$3" = fwmark ]; then echo off; fi
            exit 0
            """);
        _runner = new ProcessRunner { Journal = [] };
        _proxy = new RecordingProxy();
        var paths = new PrivilegedPaths(_dir.Combine("run"), _dir.Combine("state"));
        _service = new TunnelService(paths, new ManagedPids(paths.ManagedPidsDir), _proxy, _runner)
        {
            Tools = new SystemTools
            {
                Ip = _dir.Combine("bin", "ip"),
                Wg = _dir.Combine("bin", "wg"),
                WgQuick = _dir.Combine("bin", "no-wg-quick"),
                ResolvConfPath = _dir.Combine("resolv.conf"),
                SrcValidMarkPath = _dir.Combine("src_valid_mark"),
                NetnsRunDir = _dir.Combine("netns"),
                NetnsEtcDir = _dir.Combine("etc-netns"),
                ResolvedActive = () => false,
                // Only the fakes exist: no resolvconf, no resolvectl, no userspace implementation.
                Which = name => name.StartsWith(_dir.Path, StringComparison.Ordinal) && File.Exists(name) ? name : null,
            },
        };
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private void Fake(string name, string body)
    {
        var path = _dir.Combine("bin", name);
        File.WriteAllText(path, $"#!/bin/bash\necho \"{name} $*\" >> '{_dir.Combine("argv.log")}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private List<string> Journal()
    {
        var lines = _runner.Journal!.Select(l => l.Replace(_dir.Combine("bin") + "/", "")).ToList();
        _runner.Journal!.Clear();
        return lines;
    }

    private static TunnelUpArgs Args(string mode, string backend = "kernel", int? keepalive = null) => new()
    {
        Instance = "seq",
        Provider = "test",
        Mode = mode,
        Backend = backend,
        HandshakeTimeoutMs = 2000,
        Profile = new ProfileDto
        {
            PrivateKey = Key,
            Addresses = ["10.2.1.2/32", "fd00:2::2/128"],
            Dns = ["10.2.1.1"],
            Mtu = 1380,
            Peers = [new PeerDto { PublicKey = Peer, Endpoint = "198.18.11.2:51820", AllowedIps = ["0.0.0.0/0", "::/0"], PersistentKeepalive = keepalive }],
        },
    };

    [Test]
    public async Task DirectKernelUpAndDownRunExactlyTheseCommands()
    {
        var info = await _service.UpAsync(Args("direct"), CallerIdentity.Root, CancellationToken.None);
        Assert.That(info.BackendReason, Is.EqualTo("requested; interface: kernel WireGuard module"));
        Assert.That(Journal(), Is.EqualTo(new[]
        {
            "ip link add wg-seq type wireguard",
            $"wg set wg-seq fwmark 51820 private-key /dev/stdin peer {Peer} endpoint 198.18.11.2:51820 allowed-ips 0.0.0.0/0,::/0",
            "ip -4 address add 10.2.1.2/32 dev wg-seq",
            "ip -6 address add fd00:2::2/128 dev wg-seq",
            "ip link set mtu 1380 up dev wg-seq",
            "ip -4 route show table 51820",
            "ip -6 route show table 51820",
            "ip -4 rule add not fwmark 51820 table 51820",
            "ip -4 rule add table main suppress_prefixlength 0",
            "ip -4 route add 0.0.0.0/0 dev wg-seq table 51820",
            "ip -6 rule add not fwmark 51820 table 51820",
            "ip -6 rule add table main suppress_prefixlength 0",
            "ip -6 route add ::/0 dev wg-seq table 51820",
            $"wg set wg-seq peer {Peer} persistent-keepalive 25",
            "wg show wg-seq latest-handshakes",
            $"wg set wg-seq peer {Peer} persistent-keepalive off",
            // Nothing after the handshake: up reports what it saw instead of looking again.
        }));
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(_dir.Combine("resolv.conf")), Does.Contain("nameserver 10.2.1.1"));
            Assert.That(File.ReadAllText(_dir.Combine("src_valid_mark")), Is.EqualTo("1\n"));
            Assert.That(File.ReadAllText(_dir.Combine("argv.log")), Does.Not.Contain(Key), "the private key never reaches argv");
            Assert.That(File.ReadAllText(_dir.Combine("stdin.log")), Is.EqualTo(Key + "\n"), "it arrives on stdin");
        });

        Assert.That(await _service.DownAsync("seq", CancellationToken.None), Is.True);
        Assert.That(Journal(), Is.EqualTo(new[]
        {
            "ip -4 rule del not fwmark 51820 table 51820",
            "ip -4 rule del table main suppress_prefixlength 0",
            "ip -4 route flush table 51820",
            "ip -6 rule del not fwmark 51820 table 51820",
            "ip -6 rule del table main suppress_prefixlength 0",
            "ip -6 route flush table 51820",
            "ip link del wg-seq",
        }));
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(_dir.Combine("resolv.conf")), Is.EqualTo("nameserver 192.0.2.53\n"));
            Assert.That(File.ReadAllText(_dir.Combine("src_valid_mark")), Is.EqualTo("0\n"));
        });
    }

    [Test]
    public async Task APresharedKeyTakesASecondRunSoEachKeyHasStdinToItself()
    {
        const string psk = "2Kc1CXhnNzrn8wkDL3JvyYJ6bNKwDp7+yMJ6bWN9gHc=";
        var args = Args("direct", keepalive: 25);
        args = args with { Profile = args.Profile with { Peers = [args.Profile.Peers[0] with { PresharedKey = psk }] } };
        await _service.UpAsync(args, CallerIdentity.Root, CancellationToken.None);
        Assert.That(Journal().Where(l => l.StartsWith("wg set", StringComparison.Ordinal) && l.Contains("/dev/stdin")), Is.EqualTo(new[]
        {
            "wg set wg-seq fwmark 51820 private-key /dev/stdin",
            $"wg set wg-seq peer {Peer} preshared-key /dev/stdin endpoint 198.18.11.2:51820 allowed-ips 0.0.0.0/0,::/0 persistent-keepalive 25",
        }));
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(_dir.Combine("stdin.log")), Is.EqualTo(Key + "\n" + psk + "\n"));
            Assert.That(File.ReadAllText(_dir.Combine("argv.log")), Does.Not.Contain(Key).And.Not.Contain(psk));
        });
        await _service.DownAsync("seq", CancellationToken.None);
    }

    [Test]
    public async Task ProxyKernelUpAndDownRunExactlyTheseCommands()
    {
        var args = Args("proxy", "auto", keepalive: 25) with { Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118 } };
        var info = await _service.UpAsync(args, CallerIdentity.Root, CancellationToken.None);
        Assert.That(info.Backend, Is.EqualTo("kernel"));
        Assert.That(Journal(), Is.EqualTo(new[]
        {
            "ip netns add tunmux_seq",
            "ip -n tunmux_seq link set lo up",
            "ip link add wg-seq type wireguard",
            $"wg set wg-seq fwmark 51820 private-key /dev/stdin peer {Peer} endpoint 198.18.11.2:51820 allowed-ips 0.0.0.0/0,::/0 persistent-keepalive 25",
            "ip link set wg-seq netns tunmux_seq",
            "ip -n tunmux_seq -4 address add 10.2.1.2/32 dev wg-seq",
            "ip -n tunmux_seq -6 address add fd00:2::2/128 dev wg-seq",
            "ip -n tunmux_seq link set mtu 1380 up dev wg-seq",
            "ip -n tunmux_seq -4 route add 0.0.0.0/0 dev wg-seq",
            "ip -n tunmux_seq -6 route add ::/0 dev wg-seq",
            // A kernel interface is visible only inside its namespace.
            "ip netns exec tunmux_seq wg show wg-seq latest-handshakes",
        }));
        Assert.That(File.ReadAllText(_dir.Combine("etc-netns", "tunmux_seq", "resolv.conf")), Does.Contain("nameserver 10.2.1.1"));
        Assert.That(_proxy.Started.Single() with { Access = null }, Is.EqualTo(new ProxyLaunchSpec("seq", "tunmux_seq", 1080, 8118, false)));
        // Open to its owner (uid 0 here) only.
        var access = _proxy.Started.Single().Access!;
        Assert.That((access.Share, access.Uids.Single(), access.Gids.Count), Is.EqualTo((false, 0u, 0)));
        // The unchecked listing (what connect asks for) answers from the record and runs nothing.
        var recorded = _service.ListRecorded().Single();
        Assert.That((recorded.Instance, recorded.SocksPort, recorded.HttpPort, recorded.Alive), Is.EqualTo(("seq", 1080, 8118, true)));
        Assert.That(Journal(), Is.Empty);

        Assert.That(await _service.DownAsync("seq", CancellationToken.None), Is.True);
        Assert.That(Journal(), Is.EqualTo(new[]
        {
            "ip -n tunmux_seq link del wg-seq",
            "ip -n tunmux_seq link del wg-seq",
            "ip link del wg-seq",
            "ip -n tunmux_seq link del wg-seq",
            "ip netns del tunmux_seq",
        }));
        Assert.That(_proxy.Stopped, Is.EqualTo(new[] { "seq" }));
        Assert.That(Directory.Exists(_dir.Combine("etc-netns", "tunmux_seq")), Is.False);
        Assert.That(await _service.DownAsync("seq", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task FailureAtEachDirectKernelStepRestoresFilesAndRemovesTheRecord()
    {
        var steps = _service.StepNames(Args("direct"));
        for (var k = 1; k <= steps.Count; k++)
        {
            _service.FailBeforeStep = k;
            var e = Assert.ThrowsAsync<PrivilegedException>(() => _service.UpAsync(Args("direct"), CallerIdentity.Root, CancellationToken.None));
            Assert.That(e!.Message, Does.Contain("injected failure").And.Contain("rolled back"));
            Assert.Multiple(() =>
            {
                Assert.That(File.ReadAllText(_dir.Combine("resolv.conf")), Is.EqualTo("nameserver 192.0.2.53\n"), $"step {k}");
                Assert.That(File.ReadAllText(_dir.Combine("src_valid_mark")), Is.EqualTo("0\n"), $"step {k}");
            });
            Assert.That(await _service.ListAsync(CancellationToken.None), Is.Empty, $"step {k}");
        }
    }

    [Test]
    public void NoKernelModuleAndNoUserspaceImplementationNamesBoth()
    {
        Fake("ip", "if [ \"$1\" = link ] && [ \"$2\" = add ]; then echo 'Error: Unknown device type.' >&2; exit 2; fi\nexit 0");
        var e = Assert.ThrowsAsync<PrivilegedException>(() => _service.UpAsync(Args("direct"), CallerIdentity.Root, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("no WireGuard kernel module").Or.Contain("has no WireGuard module"));
        Assert.That(e.Message, Does.Contain("wireguard-go").And.Contain("modprobe wireguard"));
    }

    private sealed class RecordingProxy : IProxyLauncher
    {
        public List<ProxyLaunchSpec> Started { get; } = [];
        public List<string> Stopped { get; } = [];

        public Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken)
        {
            Started.Add(spec);
            return Task.FromResult(Environment.ProcessId);
        }

        public Task StopAsync(string instance, CancellationToken cancellationToken)
        {
            Stopped.Add(instance);
            return Task.CompletedTask;
        }

        public int? RunningPid(string instance) => Started.Any(s => s.Instance == instance) && !Stopped.Contains(instance) ? Environment.ProcessId : null;
    }
}
