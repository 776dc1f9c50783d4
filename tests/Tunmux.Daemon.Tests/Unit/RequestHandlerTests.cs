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
