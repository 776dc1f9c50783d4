using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using Tunmux.Host.Net;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>
/// Provider API connections while tunmux's firewall blocks: no name is resolved, the addresses on record are used, and
/// the daemon is asked to let exactly those through first. Without the firewall, names resolve and are remembered.
/// A one-shot HTTP server on loopback answers.
/// </summary>
[TestFixture]
public sealed class ApiConnectorTests
{
    private TempDir _dir = null!;
    private ApiAddressBook _book = null!;
    private readonly List<IReadOnlyList<string>> _allowed = [];

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("tunmux-api-");
        _book = new ApiAddressBook(_dir.Combine("api-addresses.json"));
        _allowed.Clear();
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task WithoutTheFirewallANameIsResolvedAndRemembered()
    {
        using var server = new OneShotServer();
        var body = await Get(blocked: false, $"http://localhost:{server.Port}/");
        Assert.Multiple(() =>
        {
            Assert.That(body, Is.EqualTo("ok"));
            Assert.That(_book.Recall("LOCALHOST"), Has.Some.Matches<IPAddress>(IPAddress.IsLoopback));
            Assert.That(_allowed, Is.Empty, "nothing asked of the daemon");
        });
    }

    [Test]
    public async Task UnderTheFirewallTheAddressesOnRecordAreLetThroughFirstAndUsed()
    {
        using var server = new OneShotServer();
        // A name no resolver knows: only the record can answer it. Loopback answers first, so nothing is sent elsewhere.
        _book.Remember("api.provider.invalid", [IPAddress.Loopback, IPAddress.Parse("198.18.100.1")]);
        var body = await Get(blocked: true, $"http://api.provider.invalid:{server.Port}/");
        Assert.Multiple(() =>
        {
            Assert.That(body, Is.EqualTo("ok"));
            Assert.That(_allowed, Has.Count.EqualTo(1));
            Assert.That(_allowed[0], Is.EqualTo(new[] { $"127.0.0.1:{server.Port}", $"198.18.100.1:{server.Port}" }));
        });
    }

    [Test]
    public void UnderTheFirewallANameWithNothingOnRecordIsOneClearError()
    {
        var e = Assert.ThrowsAsync<HttpRequestException>(() => Get(blocked: true, "http://api.provider.invalid/"));
        Assert.That(e!.Message + e.InnerException?.Message, Does.Contain("no address on record for api.provider.invalid").And.Contain("tunmux lockdown off"));
        Assert.That(_allowed, Is.Empty);
    }

    [Test]
    public async Task LoopbackNeedsNoHole()
    {
        using var server = new OneShotServer();
        Assert.That(await Get(blocked: true, $"http://127.0.0.1:{server.Port}/"), Is.EqualTo("ok"));
        Assert.That(_allowed, Is.Empty);
    }

    private async Task<string> Get(bool blocked, string url)
    {
        var connector = new ApiConnector(_book, () => blocked, (endpoints, _) =>
        {
            _allowed.Add(endpoints);
            return Task.CompletedTask;
        });
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = connector.ConnectAsync, UseProxy = false });
        return await http.GetStringAsync(url);
    }

    /// <summary>Answers one HTTP request with "ok" on 127.0.0.1.</summary>
    private sealed class OneShotServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;

        public OneShotServer()
        {
            _listener.Start();
            _serving = Task.Run(async () =>
            {
                using var client = await _listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var seen = new StringBuilder();
                while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer);
                    if (n == 0) return;
                    seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose()
        {
            _listener.Stop();
            try { _serving.Wait(TimeSpan.FromSeconds(5)); }
            catch (AggregateException) { }
        }
    }
}
