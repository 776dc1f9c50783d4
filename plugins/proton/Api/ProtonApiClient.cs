using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Api;

/// <summary>The tokens of a logged-in Proton session.</summary>
public sealed record ApiTokens(string Uid, string AccessToken, string RefreshToken);

/// <summary>Proton answered with an error code (<c>Code</c> other than 1000).</summary>
public sealed class ProtonApiException(int code, int httpStatus, string message)
    : ProviderException(message)
{
    /// <summary>Proton's error code (8002 wrong credentials, 9001 human verification...).</summary>
    public int Code { get; } = code;

    /// <summary>The HTTP status of the answer.</summary>
    public int HttpStatus { get; } = httpStatus;
}

/// <summary>
/// HTTP client of Proton's API: Proton's headers, error codes turned into one-line errors, and
/// an expired access token refreshed once, transparently, when a call answers 401.
/// </summary>
public sealed class ProtonApiClient
{
    /// <summary>App version Proton's API expects from a Linux VPN client.</summary>
    public const string AppVersion = "linux-vpn-cli@4.14.3+x86_64";
    private const string UserAgent = "ProtonVPN/4.14.3 (Linux; linux/unknown)";
    private const string RefreshPath = "/auth/v4/refresh";

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly IPluginLogger _log;

    public ProtonApiClient(HttpClient http, Uri baseUri, IPluginLogger log)
    {
        _http = http;
        _base = baseUri;
        _log = log;
    }

    /// <summary>The session's tokens; null before login.</summary>
    public ApiTokens? Tokens { get; set; }

    /// <summary>Called after a refresh so the caller can store the new tokens.</summary>
    public Func<ApiTokens, CancellationToken, Task>? TokensRefreshed { get; set; }

    /// <summary>
    /// Reads the stored tokens again. Proton's refresh tokens are single-use: when another tunmux
    /// process refreshed first, ours is spent, and the stored one is the one to use.
    /// </summary>
    public Func<CancellationToken, Task<ApiTokens?>>? ReloadTokens { get; set; }

    /// <summary>Base URL in use (for messages).</summary>
    public Uri BaseUri => _base;

    public async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken ct) where TResponse : ApiResponse
    {
        var bytes = await SendAsync(HttpMethod.Post, path, () => JsonContent(body, requestType), ct).ConfigureAwait(false);
        return Deserialize(bytes, responseType, path);
    }

    public async Task<TResponse> GetAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, CancellationToken ct)
        where TResponse : ApiResponse
    {
        var bytes = await SendAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        return Deserialize(bytes, responseType, path);
    }

    /// <summary>GET returning the raw body (large listings are parsed by the caller without copies).</summary>
    public Task<byte[]> GetBytesAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public async Task DeleteAsync(string path, CancellationToken ct) =>
        await SendAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);

    private static ByteArrayContent JsonContent<T>(T body, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<byte[]> SendAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct, bool mayRefresh = true)
    {
        var (status, bytes) = await SendOnceAsync(method, path, content, ct).ConfigureAwait(false);
        if (status == HttpStatusCode.Unauthorized && Tokens is not null && mayRefresh && !IsLoginStep(method, path))
        {
            _log.Debug("Proton answered 401 on {Path}; refreshing the session", path);
            await RefreshOrReloadAsync(ct).ConfigureAwait(false);
            (status, bytes) = await SendOnceAsync(method, path, content, ct).ConfigureAwait(false);
            if (status == HttpStatusCode.Unauthorized) throw SessionGone();
        }
        CheckAnswer(status, bytes, path);
        return bytes;
    }

    /// <summary>Steps of a login (info, proof, 2FA, refresh) answer 401 for wrong input, not for an expired token.</summary>
    private static bool IsLoginStep(HttpMethod method, string path) =>
        path.StartsWith("/auth/v4/", StringComparison.Ordinal) || (method == HttpMethod.Post && path == "/auth/v4");

    private async Task RefreshOrReloadAsync(CancellationToken ct)
    {
        var spent = Tokens;
        try
        {
            await RefreshAsync(ct).ConfigureAwait(false);
        }
        catch (ProviderException) when (ReloadTokens is not null)
        {
            var stored = await ReloadTokens(ct).ConfigureAwait(false);
            if (stored is null || stored == spent) throw;
            _log.Debug("Another process refreshed the Proton session; using its tokens");
            Tokens = stored;
        }
    }

    /// <summary>Exchanges the refresh token for new tokens.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var tokens = Tokens ?? throw SessionGone();
        var request = new RefreshRequest { Uid = tokens.Uid, RefreshToken = tokens.RefreshToken };
        var (status, bytes) = await SendOnceAsync(HttpMethod.Post, RefreshPath, () => JsonContent(request, ApiJson.Default.RefreshRequest), ct,
            authorize: false).ConfigureAwait(false);
        if ((int)status is >= 400 and < 500) throw SessionGone();
        CheckAnswer(status, bytes, RefreshPath);
        var answer = Deserialize(bytes, ApiJson.Default.RefreshResponse, RefreshPath);
        if (answer.AccessToken.Length == 0 || answer.RefreshToken.Length == 0) throw SessionGone();
        _log.RegisterSecret(answer.AccessToken);
        _log.RegisterSecret(answer.RefreshToken);
        Tokens = new ApiTokens(answer.Uid is { Length: > 0 } uid ? uid : tokens.Uid, answer.AccessToken, answer.RefreshToken);
        if (TokensRefreshed is { } saved) await saved(Tokens, ct).ConfigureAwait(false);
    }

    private static ProviderException SessionGone() =>
        new("the Proton session has expired or was revoked; log in again with `tunmux proton login <username>`");

    private async Task<(HttpStatusCode Status, byte[] Body)> SendOnceAsync(HttpMethod method, string path, Func<HttpContent>? content,
        CancellationToken ct, bool authorize = true)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path.TrimStart('/')));
        request.Headers.TryAddWithoutValidation("x-pm-appversion", AppVersion);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        request.Headers.Accept.ParseAdd("application/vnd.protonmail.v1+json");
        if (Tokens is { } t)
        {
            request.Headers.TryAddWithoutValidation("x-pm-uid", t.Uid);
            if (authorize) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t.AccessToken);
        }
        if (content is not null) request.Content = content();

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            return (response.StatusCode, body);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProviderException($"the Proton API at {_base} did not answer within {_http.Timeout.TotalSeconds:0} s ({path}); check the network or try again later");
        }
        catch (HttpRequestException ex)
        {
            throw new ProviderException($"cannot reach the Proton API at {_base} ({ex.Message}); check the network or api_url", ex);
        }
    }

    private static void CheckAnswer(HttpStatusCode status, byte[] body, string path)
    {
        var code = 0;
        string? error = null;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            try
            {
                var parsed = JsonSerializer.Deserialize(body, ApiJson.Default.ApiResponse);
                code = parsed?.Code ?? 0;
                error = parsed?.Error;
            }
            catch (JsonException)
            {
                // Not Proton's JSON; judged by the status below.
            }
        }

        if (code is 1000 or 1001 && (int)status < 400) return;
        if (code != 0 && code is not (1000 or 1001)) throw ProtonErrors.FromCode(code, (int)status, error, path);
        if ((int)status >= 500) throw new ProviderException($"the Proton API failed on {path} (HTTP {(int)status}); try again later");
        if (status == HttpStatusCode.TooManyRequests) throw new ProviderException("the Proton API is rate-limiting this client (HTTP 429); wait a few minutes and try again");
        if (status == HttpStatusCode.Unauthorized) throw SessionGone();
        if ((int)status >= 400) throw new ProviderException($"the Proton API refused {path} (HTTP {(int)status}{(error is null ? "" : ": " + error)})");
        if (code == 0) throw new ProviderException($"the Proton API sent an unexpected answer on {path}; check api_url");
    }

    private static T Deserialize<T>(byte[] body, JsonTypeInfo<T> type, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new ProviderException($"the Proton API sent an answer tunmux cannot read on {path}; check api_url");
        }
    }
}
