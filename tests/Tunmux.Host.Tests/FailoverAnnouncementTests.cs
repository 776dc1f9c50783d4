using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Host.Connections;
using Tunmux.Host.Output;
using Tunmux.Host.State;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>The next command of a provider tells it of a failover the daemon made on its own, once.</summary>
[TestFixture]
[NonParallelizable]
public sealed class FailoverAnnouncementTests
{
    private sealed class Listener : IVpnProvider
    {
        public List<ServerChange> Changes { get; } = [];
        public string Name => "airvpn";
        public string DisplayName => "AirVPN";
        public void Initialize(IProviderContext context) { }
        public ProviderCommands Describe() => throw new NotSupportedException();
        public Task LoginAsync(LoginRequest request, CancellationToken ct) => throw new NotSupportedException();
        public Task LogoutAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken ct) => throw new NotSupportedException();
        public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken ct) => throw new NotSupportedException();
        public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken ct) => throw new NotSupportedException();

        public Task OnServerChangedAsync(ServerChange change, CancellationToken ct)
        {
            Changes.Add(change);
            return Task.CompletedTask;
        }
    }

    [Test]
    public async Task A_failover_the_provider_has_not_heard_of_is_announced_once_by_its_next_command()
    {
        using var dir = new TempDir();
        var paths = new TunmuxPaths(dir.Combine("config"), []);
        var store = new ConnectionStore(paths);
        store.Save(new ConnectionState
        {
            Instance = "nl-1", Provider = "airvpn", Server = "Castor", Country = "NL", Mode = "proxy", Backend = "userspace",
            Interface = "wg-nl-1", SocksPort = 1080, HttpPort = 8118, ConnectedAt = DateTimeOffset.UnixEpoch, ProviderServer = "Castor",
        });
        var daemon = new DaemonView(new Dictionary<string, TunnelInfo>
        {
            ["nl-1"] = new()
            {
                Instance = "nl-1", Provider = "airvpn", Mode = "proxy", Backend = "userspace", Interface = "wg-nl-1",
                Server = new ServerDto { Name = "Pollux", Country = "NL" },
                Health = new HealthDto { State = "up", Supervised = true, Failovers = 1 },
            },
        }, null);
        var provider = new Listener();
        var console = new ConsoleIO(new StringWriter(), new StringWriter(), new StringReader(""), false);

        await FailoverAnnouncements.AnnounceAsync(provider, paths, console, CancellationToken.None, _ => Task.FromResult(daemon));
        await FailoverAnnouncements.AnnounceAsync(provider, paths, console, CancellationToken.None, _ => Task.FromResult(daemon));

        var saved = store.List().Single();
        Assert.Multiple(() =>
        {
            Assert.That(provider.Changes, Has.Count.EqualTo(1), "told once");
            Assert.That(provider.Changes[0], Is.EqualTo(new ServerChange("nl-1", new ServerIdentity("Castor"), new ServerIdentity("Pollux", "NL"))));
            Assert.That((saved.Server, saved.ProviderServer, saved.Failovers), Is.EqualTo(("Pollux", "Pollux", 1)));
        });
    }
}
