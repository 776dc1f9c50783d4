using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tunmux.Fakes.AirVpn;

/// <summary>Start-up choices of the fake.</summary>
public sealed record FakeOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }
    /// <summary>More bootstrap servers: extra listeners on free ports of 127.0.0.1, serving the same API (see <see cref="FakeAirVpn.Urls"/>).</summary>
    public int ExtraBootstrapServers { get; init; }
    public Catalog Catalog { get; init; } = new();
    /// <summary>Command run (argv, no shell) with DEVICE PUBKEY ADDRESS when a device key is created or used; empty for none.</summary>
    public IReadOnlyList<string> Hook { get; init; } = [];
    /// <summary>The server's RSA key (left to the caller to dispose); a fresh 2048-bit one when null (AirVPN's is 4096; the size only costs time).</summary>
    public RSA? Key { get; init; }
    public TextWriter Log { get; init; } = TextWriter.Null;
}

/// <summary>How one bootstrap server of the fake behaves.</summary>
public enum Bootstrap
{
    /// <summary>Answers.</summary>
    Up,
    /// <summary>Drops the connection, as an unreachable server.</summary>
    Down,
    /// <summary>Answers every request with HTTP 503.</summary>
    Failing,
}

/// <summary>
/// A fake AirVPN on 127.0.0.1: the encrypted bootstrap API (POST /, on one or more listeners, each
/// of which can be taken down), the airvpn.org pages and the REST config generator. Its API key can
/// be rotated the way AirVPN does it, announced in each manifest. Usable in-process from tests and
/// as a program for the lab.
/// </summary>
public sealed class FakeAirVpn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WebSite _site;
    private readonly List<RSA> _keys;
    private readonly List<RSA> _owned = [];
    private readonly Dictionary<int, Bootstrap> _bootstraps;

    private FakeAirVpn(WebApplication app, WebSite site, List<RSA> keys, Dictionary<int, Bootstrap> bootstraps, FakeState state, IReadOnlyList<string> urls)
    {
        _app = app;
        _site = site;
        _keys = keys;
        _bootstraps = bootstraps;
        State = state;
        Urls = urls;
    }

    /// <summary>Base URL (<c>http://127.0.0.1:PORT</c>) of the first listener, used as both bootstrap URL and web URL.</summary>
    public string Url => Urls[0];

    /// <summary>Every listener's base URL, the first one first.</summary>
    public IReadOnlyList<string> Urls { get; }

    public FakeState State { get; }

    /// <summary>The public key clients must seal requests with (SubjectPublicKeyInfo PEM).</summary>
    public string PublicKeyPem { get { lock (_keys) return _keys[0].ExportSubjectPublicKeyInfoPem(); } }

    /// <summary>
    /// Starts using <paramref name="next"/>: announced in manifests from now on, while requests sealed
    /// with the previous key are still opened until <see cref="RetireOldKeys"/>.
    /// </summary>
    public void RotateKey(RSA next)
    {
        lock (_keys) _keys.Insert(0, next);
    }

    /// <summary>Ends a rotation: only the current key opens requests.</summary>
    public void RetireOldKeys()
    {
        lock (_keys) _keys.RemoveRange(1, _keys.Count - 1);
    }

    /// <summary>Makes the listener at <paramref name="url"/> answer, drop connections, or fail.</summary>
    public void SetBootstrap(string url, Bootstrap behaviour)
    {
        lock (_bootstraps) _bootstraps[new Uri(url).Port] = behaviour;
    }

    /// <summary>Ends every web session, so the next page request is sent to the login form.</summary>
    public void ExpireWebSessions() => _site.ExpireSessions();

    /// <summary>Replaces the per-page ecsrf tokens of every web session; the sessions stay valid.</summary>
    public void RotateCsrfTokens() => _site.RotateTokens();

    public static async Task<FakeAirVpn> StartAsync(FakeOptions options, CancellationToken ct = default)
    {
        var key = options.Key ?? RSA.Create(2048);
        var keys = new List<RSA> { key };
        var state = new FakeState(options.Catalog);
        SeedSessions(state);
        var hook = new KeyHook(options.Hook, options.Log);
        var api = new EncryptedApi(state, () => { lock (keys) return [.. keys]; }, hook);
        var site = new WebSite(state, hook);
        var bootstraps = new Dictionary<int, Bootstrap>();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, options.Port);
            for (var i = 0; i < options.ExtraBootstrapServers; i++) k.Listen(System.Net.IPAddress.Loopback, 0);
        });
        var app = builder.Build();

        app.MapPost("/", async http =>
        {
            Bootstrap behaviour;
            lock (bootstraps) behaviour = bootstraps.GetValueOrDefault(http.Connection.LocalPort, Bootstrap.Up);
            switch (behaviour)
            {
                case Bootstrap.Down:
                    http.Abort();
                    return;
                case Bootstrap.Failing:
                    http.Response.StatusCode = 503;
                    return;
                default:
                    await api.HandleAsync(http);
                    return;
            }
        });
        app.MapGet("/", site.Home);
        app.MapGet("/entry/", site.Entry);
        app.MapGet("/login/", site.LoginPage);
        app.MapPost("/login/", site.LoginPost);
        app.MapMethods("/api/generator/", ["GET", "POST"], site.Generator);
        app.MapGet("/{page}/", (HttpContext h, string page) => site.Page(h, page));
        app.MapPost("/{page}/", (HttpContext h, string page) => site.Ajax(h, page));

        await app.StartAsync(ct);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => a.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/')).ToList();
        // The listener on the requested port first (Kestrel does not promise an order).
        var first = options.Port == 0 ? addresses[0] : addresses.First(a => new Uri(a).Port == options.Port);
        var fake = new FakeAirVpn(app, site, keys, bootstraps, state, [first, .. addresses.Where(a => a != first)]);
        if (options.Key is null) fake._owned.Add(key);
        return fake;
    }

    /// <summary>Keys made by the fake for a rotation are disposed with it.</summary>
    public RSA NewKey()
    {
        var key = RSA.Create(2048);
        _owned.Add(key);
        return key;
    }

    /// <summary>One connected session per account (its first device on the first server), for the sessions and ports pages.</summary>
    private static void SeedSessions(FakeState state)
    {
        var server = state.Catalog.Servers.FirstOrDefault();
        if (server is null) return;
        foreach (var a in state.Accounts)
        {
            if (a.Devices.FirstOrDefault() is not { } d) continue;
            a.Sessions.Add(new FakeVpnSession
            {
                DeviceName = d.Name,
                ServerName = server.Name,
                ConnectedSince = DateTimeOffset.UtcNow.AddMinutes(-75).ToUnixTimeSeconds(),
                BytesWrite = 12_345_678,
                BytesRead = 987_654_321,
                VpnIpv4 = d.Ipv4.Split('/')[0],
                ExitIpv4 = (server.IpsExit.Count > 0 ? server.IpsExit : server.IpsEntry).FirstOrDefault() ?? "",
                ServerIp = server.IpsEntry.FirstOrDefault() ?? "",
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var key in _owned) key.Dispose();
    }
}
