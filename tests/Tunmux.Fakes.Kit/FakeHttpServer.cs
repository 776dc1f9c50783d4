using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tunmux.Privileged.Processes;

namespace Tunmux.Fakes.Kit;

/// <summary>What a fault answers instead of the real handler.</summary>
public enum FaultKind
{
    /// <summary>The given status with an HTML body, as a failing proxy in front of an API would send.</summary>
    Status,
    /// <summary>200 with a body that is not the provider's JSON.</summary>
    Malformed,
    /// <summary>200 with JSON of the right syntax but the wrong shape (fields missing).</summary>
    WrongShape,
}

/// <summary>
/// A fake provider API on 127.0.0.1 (Kestrel): records each request, can answer a path with a
/// fault (a status, a delay longer than the client waits, a malformed body) a given number of
/// times, and runs an optional hook program when a client key is registered.
/// </summary>
public abstract class FakeHttpServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Fault> _faults = new();
    private WebApplication? _app;

    /// <summary>"METHOD /path" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Request headers by "METHOD /path", last request wins (for checks such as If-None-Match).</summary>
    public ConcurrentDictionary<string, IHeaderDictionary> LastHeaders { get; } = new();

    /// <summary>Program and arguments run when a client key is registered; <c>{pubkey}</c> and <c>{address}</c> are replaced.</summary>
    public IReadOnlyList<string>? Hook { get; set; }

    public Uri? Url { get; private set; }

    /// <summary>Answers the next <paramref name="times"/> requests to <paramref name="path"/> with a fault after <paramref name="delay"/>.</summary>
    public void InjectFault(string path, int status = 503, TimeSpan? delay = null, int times = 1, FaultKind kind = FaultKind.Status,
        IReadOnlyDictionary<string, string>? headers = null) =>
        _faults[path] = new Fault(kind, status, delay ?? TimeSpan.Zero, times, headers);

    public async Task<Uri> StartAsync(int port = 0, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Use(RecordAndInjectAsync);
        Map(app);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("[::]", "127.0.0.1").TrimEnd('/') + "/");
        return Url;
    }

    /// <summary>Maps the provider's endpoints.</summary>
    protected abstract void Map(WebApplication app);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs the hook for a newly registered key; false when it failed (the registration then fails too).</summary>
    protected async Task<(bool Ok, string Summary)> RunHookAsync(string publicKey, string address, CancellationToken ct)
    {
        if (Hook is not { Count: > 0 } hook) return (true, "");
        var args = hook.Skip(1).Select(a => a.Replace("{pubkey}", publicKey).Replace("{address}", address)).ToList();
        if (!hook.Skip(1).Any(a => a.Contains("{pubkey}", StringComparison.Ordinal))) args.Add(publicKey);
        var result = await ProcessRunner.Default.RunAsync(hook[0], args, timeout: TimeSpan.FromSeconds(60), cancellationToken: ct).ConfigureAwait(false);
        return (result.Succeeded, result.Summary);
    }

    /// <summary>The request's JSON body, or null when it is not JSON.</summary>
    protected static async Task<System.Text.Json.Nodes.JsonNode?> ReadJsonAsync(HttpContext http)
    {
        try
        {
            return await System.Text.Json.Nodes.JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>True for base64 of 32 bytes, the form of a WireGuard key.</summary>
    protected static bool IsKey(string s)
    {
        Span<byte> buffer = stackalloc byte[33];
        return s.Length == 44 && Convert.TryFromBase64String(s, buffer, out var n) && n == 32;
    }

    private async Task RecordAndInjectAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path.Value ?? "/";
        var key = $"{http.Request.Method} {path}";
        Requests.Enqueue(key);
        LastHeaders[key] = new HeaderDictionary(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value));
        if (_faults.TryGetValue(path, out var fault) && Interlocked.Decrement(ref fault.Remaining) >= 0)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                try { await Task.Delay(fault.Delay, http.RequestAborted).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
            foreach (var (name, value) in fault.Headers ?? new Dictionary<string, string>()) http.Response.Headers[name] = value;
            switch (fault.Kind)
            {
                case FaultKind.Malformed:
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/json";
                    await http.Response.WriteAsync("{\"truncated\": [1, 2", http.RequestAborted).ConfigureAwait(false);
                    break;
                case FaultKind.WrongShape:
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/json";
                    await http.Response.WriteAsync("{\"unexpected\": true}", http.RequestAborted).ConfigureAwait(false);
                    break;
                default:
                    http.Response.StatusCode = fault.Status;
                    await http.Response.WriteAsync(fault.Status >= 500 ? "<html>upstream error</html>" : "", http.RequestAborted).ConfigureAwait(false);
                    break;
            }
            return;
        }
        await next(http).ConfigureAwait(false);
    }

    private sealed class Fault(FaultKind kind, int status, TimeSpan delay, int times, IReadOnlyDictionary<string, string>? headers)
    {
        public FaultKind Kind { get; } = kind;
        public int Status { get; } = status;
        public TimeSpan Delay { get; } = delay;
        public IReadOnlyDictionary<string, string>? Headers { get; } = headers;
        public int Remaining = times;
    }
}
