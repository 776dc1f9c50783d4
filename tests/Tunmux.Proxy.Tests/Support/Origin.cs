using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>An HTTP and HTTPS origin server on loopback (Kestrel, self-signed certificate).</summary>
public sealed class Origin : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Origin(WebApplication app, int httpPort, int httpsPort)
    {
        _app = app;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
    }

    public int HttpPort { get; }
    public int HttpsPort { get; }

    /// <summary>Deterministic content of /bytes/{n}.</summary>
    public static byte[] Bytes(int n)
    {
        var data = new byte[n];
        for (var i = 0; i < n; i++) data[i] = (byte)(i * 31 + (i >> 8));
        return data;
    }

    public static async Task<Origin> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=origin.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var cert = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(cert));
        });
        var app = builder.Build();
        app.MapGet("/hello", () => "hello");
        app.MapGet("/bytes/{n:int}", (int n) => Results.Bytes(Bytes(n), "application/octet-stream"));
        app.MapGet("/chunked/{n:int}", async (HttpContext ctx, int n) =>
        {
            // No Content-Length: Kestrel answers chunked.
            var data = Bytes(n);
            for (var i = 0; i < n; i += 1000) await ctx.Response.Body.WriteAsync(data.AsMemory(i, Math.Min(1000, n - i)));
        });
        app.MapGet("/headers", (HttpContext ctx) =>
            string.Join("\n", ctx.Request.Headers.Select(h => $"{h.Key}: {h.Value}")));
        app.MapGet("/slow", async () => { await Task.Delay(5000); return "late"; });
        app.MapPost("/echo", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            return Results.Bytes(ms.ToArray(), "application/octet-stream");
        });
        await app.StartAsync();
        var ports = app.Urls.Select(u => new Uri(u)).ToList();
        return new Origin(app,
            ports.First(u => u.Scheme == "http").Port,
            ports.First(u => u.Scheme == "https").Port);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    public static string Text(byte[] b) => Encoding.UTF8.GetString(b);
}
