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
    public Catalog Catalog { get; init; } = new();
    /// <summary>Command run (argv, no shell) with DEVICE PUBKEY ADDRESS when a device key is created or used; empty for none.</summary>
    public IReadOnlyList<string> Hook { get; init; } = [];
    /// <summary>The server's RSA key (left to the caller to dispose); a fresh 2048-bit one when null (AirVPN's is 4096; the size only costs time).</summary>
    public RSA? Key { get; init; }
    public TextWriter Log { get; init; } = TextWriter.Null;
}

/// <summary>
/// A fake AirVPN on 127.0.0.1: the encrypted bootstrap API (POST /), the airvpn.org pages and the REST
/// config generator, all on one port. Usable in-process from tests and as a program for the lab.
/// </summary>
public sealed class FakeAirVpn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WebSite _site;
    private readonly RSA _key;
    private readonly bool _ownsKey;

    private FakeAirVpn(WebApplication app, WebSite site, RSA key, bool ownsKey, FakeState state, string url)
    {
        _app = app;
        _site = site;
        _key = key;
        _ownsKey = ownsKey;
        State = state;
        Url = url;
    }

    /// <summary>Base URL (<c>http://127.0.0.1:PORT</c>), used as both bootstrap URL and web URL.</summary>
    public string Url { get; }

    public FakeState State { get; }

    /// <summary>The public key clients must seal requests with (SubjectPublicKeyInfo PEM).</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>Ends every web session, so the next page request is sent to the login form.</summary>
    public void ExpireWebSessions() => _site.ExpireSessions();

    /// <summary>Replaces the per-page ecsrf tokens of every web session; the sessions stay valid.</summary>
    public void RotateCsrfTokens() => _site.RotateTokens();

    public static async Task<FakeAirVpn> StartAsync(FakeOptions options, CancellationToken ct = default)
    {
        var key = options.Key ?? RSA.Create(2048);
        var state = new FakeState(options.Catalog);
        SeedSessions(state);
        var hook = new KeyHook(options.Hook, options.Log);
        var api = new EncryptedApi(state, key, hook);
        var site = new WebSite(state, hook);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.Port));
        var app = builder.Build();

        app.MapPost("/", api.HandleAsync);
        app.MapGet("/", site.Home);
        app.MapGet("/entry/", site.Entry);
        app.MapGet("/login/", site.LoginPage);
        app.MapPost("/login/", site.LoginPost);
        app.MapMethods("/api/generator/", ["GET", "POST"], site.Generator);
        app.MapGet("/{page}/", (HttpContext h, string page) => site.Page(h, page));
        app.MapPost("/{page}/", (HttpContext h, string page) => site.Ajax(h, page));

        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeAirVpn(app, site, key, options.Key is null, state, address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'));
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
        if (_ownsKey) _key.Dispose();
    }
}
