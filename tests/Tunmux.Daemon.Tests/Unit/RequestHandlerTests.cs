using NUnit.Framework;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Unit;

public class RequestHandlerTests
{
    private sealed class RecordingTunnels : ITunnelService
    {
        public List<TunnelUpArgs> Ups { get; } = [];

        public Task<TunnelInfo> UpAsync(TunnelUpArgs args, CallerIdentity caller, CancellationToken cancellationToken)
        {
            Ups.Add(args);
            return Task.FromResult(new TunnelInfo { Instance = args.Instance, Provider = args.Provider, Mode = args.Mode, Backend = "userspace", Interface = "wg-x", Alive = true });
        }

        public Task<bool> DownAsync(string instance, CancellationToken cancellationToken) => Task.FromResult(false);
        public Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<TunnelInfo>>([]);
        public IReadOnlyList<TunnelInfo> ListRecorded() => [];
        public Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken) => Task.FromResult<TunnelInfo?>(null);
    }

    [Test]
    public async Task Tunnel_up_reaches_the_service_and_the_log_holds_no_secret()
    {
        using var dir = new TempDir();
        var logPath = dir.Combine("state", "daemon.log");
        var tunnels = new RecordingTunnels();
        using var lifecycle = new DaemonLifecycle(false, null);
        using (var log = DaemonLog.Open(logPath))
        {
            var handler = new RequestHandler(tunnels, new ManagedProcessKiller(new ManagedPids(dir.Combine("pids"))), lifecycle, log);
            var args = Samples.ProxyUp() with { Profile = Samples.Profile() with { Peers = [Samples.Profile().Peers[0] with { PresharedKey = Samples.Key2 }] } };
            var info = (TunnelInfo?)await handler.HandleAsync(new ParsedRequest(1, Ops.TunnelUp, args), 1, new PeerCredentials(10, 0, 0), CancellationToken.None);
            Assert.That(info!.Instance, Is.EqualTo("us-1"));
        }
        var text = File.ReadAllText(logPath);
        Assert.Multiple(() =>
        {
            Assert.That(tunnels.Ups, Has.Count.EqualTo(1));
            Assert.That(text, Does.Contain("tunnel.up by uid 0"));
            Assert.That(text, Does.Not.Contain(Samples.Key), "private key in the log");
            Assert.That(text, Does.Not.Contain(Samples.Key2[..30] + "=\u0020").And.Not.Contain("preshared_key = " + Samples.Key2));
            Assert.That(text, Does.Not.Contain("pa ss:word"), "proxy password in the log");
            Assert.That(File.GetUnixFileMode(logPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.GetUnixFileMode(dir.Combine("state")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        });
    }
}

public class RequestHandlerPolicyTests
{
    private sealed class OneInstance(uint owner) : ITunnelService
    {
        public int Downs { get; private set; }
        public List<TunnelUpArgs> Ups { get; } = [];
        private TunnelInfo Info => new()
        {
            Instance = "us-1", Provider = "proton", Mode = "proxy", Backend = "kernel", Interface = "wg-us-1",
            Endpoint = "198.18.0.10:51820", ProxyPid = 4242, SocksPort = 1080, HttpPort = 8118, OwnerUid = owner, Alive = true,
        };
        public Task<TunnelInfo> UpAsync(TunnelUpArgs args, CallerIdentity caller, CancellationToken ct) { Ups.Add(args); return Task.FromResult(Info); }
        public Task<bool> DownAsync(string instance, CancellationToken ct) { Downs++; return Task.FromResult(true); }
        public List<(uint Uid, string Instance, string? Endpoint)> RootlessExits { get; } = [];
        public Task RootlessExitAsync(uint uid, string instance, string? endpoint, CancellationToken ct)
        {
            RootlessExits.Add((uid, instance, endpoint));
            return Task.CompletedTask;
        }
        public Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<TunnelInfo>>([Info]);
        public IReadOnlyList<TunnelInfo> ListRecorded() => [Info];
        public Task<TunnelInfo?> InspectAsync(string instance, CancellationToken ct) => Task.FromResult<TunnelInfo?>(Info);
    }

    private static (RequestHandler, OneInstance, DaemonLifecycle) Handler(uint owner)
    {
        var tunnels = new OneInstance(owner);
        var lifecycle = new DaemonLifecycle(false, null);
        return (new RequestHandler(tunnels, new ManagedProcessKiller(new ManagedPids("/nonexistent")), lifecycle, DaemonLog.None), tunnels, lifecycle);
    }

    private static PeerCredentials Peer(uint uid) => new(10, uid, uid);

    [Test]
    public async Task Ports_below_1024_are_for_root_only()
    {
        var (handler, tunnels, lifecycle) = Handler(1000);
        using var _ = lifecycle;
        var low = Samples.ProxyUp() with { Proxy = Samples.ProxyUp().Proxy! with { SocksPort = 80, HttpPort = 8118 } };
        var e = Assert.ThrowsAsync<PrivilegedException>(() => handler.HandleAsync(new ParsedRequest(1, Ops.TunnelUp, low), 1, Peer(1000), CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.Unauthorized));
        Assert.That(tunnels.Ups, Is.Empty);
        await handler.HandleAsync(new ParsedRequest(2, Ops.TunnelUp, low), 1, Peer(0), CancellationToken.None);
        Assert.That(tunnels.Ups, Has.Count.EqualTo(1), "root may");
    }

    [Test]
    public async Task Only_the_owner_or_root_may_take_down_inspect_or_signal()
    {
        var (handler, tunnels, lifecycle) = Handler(1000);
        using var _ = lifecycle;
        var down = new ParsedRequest(1, Ops.TunnelDown, new InstanceArgs { Instance = "us-1" });
        var kill = new ParsedRequest(2, Ops.KillPid, new KillPidArgs { Pid = 4242 });
        var inspect = new ParsedRequest(3, Ops.TunnelInspect, new InstanceArgs { Instance = "us-1" });
        var stranger = Assert.ThrowsAsync<PrivilegedException>(() => handler.HandleAsync(down, 1, Peer(1001), CancellationToken.None))!;
        var strangerKill = Assert.ThrowsAsync<PrivilegedException>(() => handler.HandleAsync(kill, 1, Peer(1001), CancellationToken.None))!;
        var seen = (TunnelInfo)(await handler.HandleAsync(inspect, 1, Peer(1001), CancellationToken.None))!;
        var mine = (TunnelInfo)(await handler.HandleAsync(inspect, 1, Peer(1000), CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(stranger.Code, Is.EqualTo(ErrorCodes.Unauthorized));
            Assert.That(strangerKill.Code, Is.EqualTo(ErrorCodes.Unauthorized));
            Assert.That(tunnels.Downs, Is.Zero);
            Assert.That(seen.OtherUser, Is.True);
            Assert.That((seen.Endpoint, seen.ProxyPid, seen.OwnerUid, seen.Interface), Is.EqualTo(((string?)null, (int?)null, (uint?)null, "")));
            Assert.That(mine.Endpoint, Is.EqualTo("198.18.0.10:51820"));
        });
        await handler.HandleAsync(down, 1, Peer(1000), CancellationToken.None);
        await handler.HandleAsync(down, 1, Peer(0), CancellationToken.None);
        Assert.That(tunnels.Downs, Is.EqualTo(2), "the owner and root may");
    }

    [Test]
    public async Task A_rootless_exits_hole_is_always_for_the_callers_own_uid()
    {
        var (handler, tunnels, lifecycle) = Handler(1000);
        using var _ = lifecycle;
        // The request has no uid to name (the parser refuses one): the peer credentials decide whose pasta passes.
        await handler.HandleAsync(new ParsedRequest(1, Ops.FirewallRootlessExit,
            new RootlessExitArgs { Instance = "nl-1", Endpoint = "198.18.11.2:51820" }), 1, Peer(1001), CancellationToken.None);
        await handler.HandleAsync(new ParsedRequest(2, Ops.FirewallRootlessExit, new RootlessExitArgs { Instance = "nl-1" }), 1, Peer(1001), CancellationToken.None);
        Assert.That(tunnels.RootlessExits, Is.EqualTo(new[] { (1001u, "nl-1", (string?)"198.18.11.2:51820"), (1001u, "nl-1", (string?)null) }));
    }
}
