using System.Text.Json;
using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// A real exit, brought up by the real daemon for a group member, and what other local users may do
/// with it. The daemon runs as root in the lab's host stand-in (so nothing changes on this machine's
/// own network); every client runs there too, as the member who connected, a second member, or a
/// user outside the group.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ExitTests : LabFixture
{
    private const int SocksPort = 31080, HttpPort = 38118;
    private DaemonSandbox _sandbox = null!;
    private string _instance = null!;

    protected override int Servers => 1;

    [OneTimeSetUp]
    public async Task UpForTheMember()
    {
        TestAccounts.Require();
        _sandbox = new DaemonSandbox();
        _sandbox.StartDaemon(["--authorized-group", TestAccounts.Group], netns: Lab.HostNamespace);
        _instance = Lab.InstanceName("own");
        var r = await UpAsync(TestAccounts.Member, _instance, SocksPort, HttpPort);
        Assert.That(r.Ok, Is.True, r.ToString() + "\n" + _sandbox.LogText);
    }

    [OneTimeTearDown]
    public async Task Down()
    {
        if (_sandbox is null) return;
        await RawAsync(null, Ops.TunnelDown, new InstanceArgs { Instance = _instance });
        _sandbox.Dispose();
    }

    private Task<ProbeResult> UpAsync(string user, string instance, int socks, int http, ProxyArgs? proxy = null) =>
        _sandbox.ProbeAsync(user, "socket", autostart: false, netns: Lab.HostNamespace, env: e =>
            e["PROBE_UP"] = JsonSerializer.Serialize(UpArgs(instance, socks, http, proxy), ProtocolJson.Options));

    private TunnelUpArgs UpArgs(string instance, int socks, int http, ProxyArgs? proxy = null)
    {
        var c = Lab.NewClient(1);
        return new TunnelUpArgs
        {
            Instance = instance,
            Provider = "lab",
            Mode = "proxy",
            Profile = new ProfileDto
            {
                PrivateKey = c.PrivateKey,
                Addresses = [c.Address],
                Dns = [c.Dns],
                Peers = [new PeerDto { PublicKey = c.ServerPublicKey, Endpoint = c.Endpoint, AllowedIps = ["0.0.0.0/0"] }],
            },
            Proxy = proxy ?? new ProxyArgs { SocksPort = socks, HttpPort = http },
        };
    }

    /// <summary>One request as <paramref name="user"/> (null: root), its answer as JSON.</summary>
    private async Task<JsonElement> RawAsync(string? user, string op, object args)
    {
        var json = JsonSerializer.Serialize(new { v = 1, id = 7, op, args }, ProtocolJson.Options);
        var text = user is null
            ? new RawClient(_sandbox.Paths.SocketPath).Call(json).GetRawText()
            : await AuthorizationTests.RunAs(_sandbox, user, "raw", _sandbox.Paths.SocketPath, json);
        return JsonDocument.Parse(text.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    [Test]
    public async Task Another_member_cannot_take_down_inspect_or_signal_the_instance_and_sees_only_its_name_and_ports()
    {
        var inspectRoot = await RawAsync(null, Ops.TunnelInspect, new InstanceArgs { Instance = _instance });
        var proxyPid = inspectRoot.GetProperty("result").GetProperty("proxy_pid").GetInt32();
        var other = TestAccounts.PrimaryMember;

        var down = await RawAsync(other, Ops.TunnelDown, new InstanceArgs { Instance = _instance });
        var kill = await RawAsync(other, Ops.KillPid, new KillPidArgs { Pid = proxyPid });
        var inspect = await RawAsync(other, Ops.TunnelInspect, new InstanceArgs { Instance = _instance });
        var list = await RawAsync(other, Ops.TunnelList, new TunnelListArgs());
        var ownList = await RawAsync(TestAccounts.Member, Ops.TunnelList, new TunnelListArgs());

        var seen = inspect.GetProperty("result");
        var listed = list.GetProperty("result").GetProperty("tunnels").EnumerateArray().Single(t => t.GetProperty("instance").GetString() == _instance);
        var own = ownList.GetProperty("result").GetProperty("tunnels").EnumerateArray().Single(t => t.GetProperty("instance").GetString() == _instance);
        Assert.Multiple(() =>
        {
            Assert.That(down.GetProperty("ok").GetBoolean(), Is.False, down.ToString());
            Assert.That(down.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo(ErrorCodes.Unauthorized));
            Assert.That(kill.GetProperty("ok").GetBoolean(), Is.False, kill.ToString());
            Assert.That(DaemonSandbox.IsAlive(proxyPid), Is.True, "the proxy still runs");
            Assert.That(Lab.NamespaceExists(InstanceNames.Namespace(_instance)), Is.True, "the exit is still up");
            foreach (var view in new[] { seen, listed })
            {
                Assert.That(view.GetProperty("other_user").GetBoolean(), Is.True, view.ToString());
                Assert.That(view.GetProperty("socks_port").GetInt32(), Is.EqualTo(SocksPort));
                Assert.That(view.GetProperty("interface").GetString(), Is.Empty);
                Assert.That(view.TryGetProperty("endpoint", out _), Is.False, view.ToString());
                Assert.That(view.TryGetProperty("proxy_pid", out _), Is.False);
                Assert.That(view.TryGetProperty("owner_uid", out _), Is.False);
            }
            Assert.That(own.GetProperty("owner_uid").GetUInt32(), Is.EqualTo(TestAccounts.Uid(TestAccounts.Member)));
            Assert.That(own.GetProperty("alive").GetBoolean(), Is.True, own.ToString());
            Assert.That(own.TryGetProperty("other_user", out var o) && o.GetBoolean(), Is.False);
        });
    }

    [Test]
    public async Task The_daemon_refuses_an_instance_whose_namespace_interface_or_control_socket_exists()
    {
        var ns = "tunmux_tmxclash1";
        var iface = InstanceNames.Interface("tmxclash2");
        var uapi = Path.Combine("/var/run/wireguard", InstanceNames.Interface("tmxclash3") + ".sock");
        try
        {
            Lab.Check(Lab.Run("ip", ["netns", "add", ns]));
            Lab.Check(Lab.Run("ip", ["-n", Lab.HostNamespace, "link", "add", iface, "type", "veth", "peer", "name", "tmxclashpeer"]));
            Directory.CreateDirectory("/var/run/wireguard");
            File.WriteAllText(uapi, "");
            var results = new List<ProbeResult>();
            foreach (var (name, port) in new[] { ("tmxclash1", 32001), ("tmxclash2", 32003), ("tmxclash3", 32005) })
                results.Add(await UpAsync(TestAccounts.PrimaryMember, name, port, port + 1));
            Assert.Multiple(() =>
            {
                foreach (var r in results)
                {
                    Assert.That(r.Code, Is.EqualTo(ErrorCodes.Conflict), r.ToString());
                    Assert.That(r.Message, Does.Contain("cannot be brought up"));
                }
                Assert.That(results[0].Message, Does.Contain("namespace " + ns));
                Assert.That(results[1].Message, Does.Contain("interface named " + iface));
                Assert.That(results[2].Message, Does.Contain(uapi));
                // What was there is left as it was.
                Assert.That(File.Exists(uapi), Is.True);
                Assert.That(Lab.Run("ip", ["-n", Lab.HostNamespace, "link", "show", iface]).Ok, Is.True);
            });
        }
        finally
        {
            Lab.Run("ip", ["netns", "del", ns]);
            Lab.Run("ip", ["-n", Lab.HostNamespace, "link", "del", iface]);
            File.Delete(uapi);
        }
    }

    private string ThroughSocks(string user, int port) => AsUser.ThroughSocks(Lab, user, port);
    private string ThroughHttp(string user, int port) => AsUser.ThroughHttp(Lab, user, port);

    [Test]
    public void Only_the_owner_and_root_get_through_the_exits_proxies()
    {
        var exit = Lab.ExitAddress(1);
        Assert.Multiple(() =>
        {
            Assert.That(ThroughSocks(TestAccounts.Member, SocksPort), Is.EqualTo(exit), "the owner, SOCKS5");
            Assert.That(ThroughHttp(TestAccounts.Member, HttpPort), Is.EqualTo(exit), "the owner, HTTP");
            Assert.That(ThroughSocks(TestAccounts.PrimaryMember, SocksPort), Does.StartWith("error:"), "another member, SOCKS5");
            Assert.That(ThroughHttp(TestAccounts.PrimaryMember, HttpPort), Does.StartWith("error:"), "another member, HTTP");
            Assert.That(ThroughSocks(TestAccounts.Outsider, SocksPort), Does.StartWith("error:"), "a user outside the group");
            Assert.That(ThroughHttp(TestAccounts.Outsider, HttpPort), Does.StartWith("error:"));
            Assert.That(Lab.InHost("curl", "-sS", "-m", "5", "--socks5-hostname", $"127.0.0.1:{SocksPort}", Lab.WhoamiUrl).Output.Trim(),
                Is.EqualTo(exit), "root");
        });
    }

    [Test]
    public async Task A_shared_exit_or_a_named_user_gets_through()
    {
        var shared = Lab.InstanceName("shr");
        var named = Lab.InstanceName("nam");
        var up1 = await UpAsync(TestAccounts.Member, shared, 0, 0, new ProxyArgs { SocksPort = 33080, HttpPort = 33081, Share = true });
        var up2 = await UpAsync(TestAccounts.Member, named, 0, 0, new ProxyArgs
        {
            SocksPort = 33082, HttpPort = 33083, Allow = ["user:" + TestAccounts.Outsider],
        });
        try
        {
            var exit = Lab.ExitAddress(1);
            Assert.Multiple(() =>
            {
                Assert.That(up1.Ok && up2.Ok, Is.True, up1 + " / " + up2);
                Assert.That(ThroughSocks(TestAccounts.Outsider, 33080), Is.EqualTo(exit), "shared: anyone");
                Assert.That(ThroughHttp(TestAccounts.PrimaryMember, 33081), Is.EqualTo(exit), "shared: anyone");
                Assert.That(ThroughSocks(TestAccounts.Outsider, 33082), Is.EqualTo(exit), "the named user");
                Assert.That(ThroughSocks(TestAccounts.PrimaryMember, 33082), Does.StartWith("error:"), "not named");
                Assert.That(ThroughSocks(TestAccounts.Member, 33082), Is.EqualTo(exit), "the owner still");
            });
        }
        finally
        {
            await RawAsync(null, Ops.TunnelDown, new InstanceArgs { Instance = shared });
            await RawAsync(null, Ops.TunnelDown, new InstanceArgs { Instance = named });
        }
    }

    [Test]
    public async Task An_imitated_wireguard_go_is_never_taken_for_the_exits()
    {
        var instance = Lab.InstanceName("imi");
        var iface = InstanceNames.Interface(instance);
        // Another user starts a process whose command line is what the daemon used to look for.
        var imitator = _sandbox.Start("setpriv", ["--reuid", TestAccounts.Outsider, "--regid", TestAccounts.PrimaryGroupName(TestAccounts.Outsider),
            "--init-groups", "/bin/bash", "-c", $"exec -a wireguard-go /usr/bin/python3 -c 'import time; time.sleep(60)' {iface}"], _sandbox.Environment());
        try
        {
            var up = await UpAsync(TestAccounts.Member, instance, 33090, 33091);
            var info = (await RawAsync(null, Ops.TunnelInspect, new InstanceArgs { Instance = instance })).GetProperty("result");
            Assert.That(up.Ok, Is.True, up.ToString());
            if (!info.TryGetProperty("userspace_pid", out var p)) Assert.Ignore("the kernel has WireGuard: there is no userspace process to mistake");
            var pid = p.GetInt32();
            Assert.Multiple(() =>
            {
                Assert.That(pid, Is.Not.EqualTo(imitator.Id).And.Not.Zero);
                Assert.That(File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:")), Does.Match(@"^Uid:\s+0\s"));
            });
            await RawAsync(null, Ops.TunnelDown, new InstanceArgs { Instance = instance });
            Assert.That(imitator.HasExited, Is.False, "taking the exit down leaves the other user's process alone");
        }
        finally
        {
            await RawAsync(null, Ops.TunnelDown, new InstanceArgs { Instance = instance });
            if (!imitator.HasExited) imitator.Kill();
        }
    }

    [Test]
    public async Task The_owner_takes_it_down_and_up_again()
    {
        var down = await RawAsync(TestAccounts.Member, Ops.TunnelDown, new InstanceArgs { Instance = _instance });
        Assert.That(down.GetProperty("result").GetProperty("was_up").GetBoolean(), Is.True, down.ToString());
        Assert.That(Lab.NamespaceExists(InstanceNames.Namespace(_instance)), Is.False);
        var r = await UpAsync(TestAccounts.Member, _instance, SocksPort, HttpPort);
        Assert.That(r.Ok, Is.True, r.ToString());
    }
}
