using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Api;

/// <summary>The tokens of a logged-in Proton session.</summary>
public sealed record ApiTokens(string Uid, string AccessToken, string RefreshToken);

/// <summary>
/// A solved (or to-be-solved) human verification: sent as <c>x-pm-human-verification-token</c> and
/// <c>x-pm-human-verification-token-type</c> on every request while set, as go-proton-api's
/// <c>addHVToRequest</c> (hv.go) and WebClients' <c>onVerify</c> retry do.
/// </summary>
/// <param name="Type">The method used (<c>captcha</c>).</param>
/// <param name="Token">The token of the 9001 answer, once the person solved it.</param>
public sealed record HumanVerificationToken(string Type, string Token);

/// <summary>Proton answered with an error code (<c>Code</c> other than 1000).</summary>
public class ProtonApiException(int code, int httpStatus, string message)
    : ProviderException(message)
{
    /// <summary>Proton's error code (8002 wrong credentials, 9001 human verification...).</summary>
    public int Code { get; } = code;

    /// <summary>The HTTP status of the answer.</summary>
    public int HttpStatus { get; } = httpStatus;
}

/// <summary>
/// Proton wants a person to prove they are one (HTTP 422, code 9001). <c>Details</c> carries the
/// methods offered and the token to solve (go-proton-api hv.go <c>APIHVDetails</c>).
/// </summary>
public sealed class HumanVerificationRequiredException(int httpStatus, string message, IReadOnlyList<string> methods, string token)
    : ProtonApiException(ProtonErrors.HumanVerification, httpStatus, message)
{
    /// <summary>Methods offered (<c>captcha</c>, <c>email</c>, <c>sms</c>).</summary>
    public IReadOnlyList<string> Methods { get; } = methods;

    /// <summary>The token to solve and then send back.</summary>
    public string Token { get; } = token;

    /// <summary>The page where a person solves it, as go-proton-api's <c>FormatHvURL</c> builds it.</summary>
    public string VerificationUrl =>
        $"https://verify.proton.me/?methods={Uri.EscapeDataString(string.Join(',', Methods))}&token={Uri.EscapeDataString(Token)}";
}

/// <summary>
/// HTTP client of Proton's API: Proton's headers, error codes turned into one-line errors, busy
/// answers ridden out within bounds (<see cref="RetryPolicy"/>), and an expired access token
/// refreshed once, transparently, when a call answers 401.
/// </summary>
public sealed class ProtonApiClient
{
    /// <summary>Version of Proton's Linux client whose identity tunmux presents; Proton's API refuses versions it does not know (5003).</summary>
    public const string ClientVersion = "4.14.3";

    /// <summary>
    /// App version in the public clients' format, <c>linux-vpn-cli@VERSION+ARCH</c>, with the
    /// machine's real architecture as <c>uname -m</c> names it.
    /// </summary>
    public static string AppVersion { get; } = $"linux-vpn-cli@{ClientVersion}+{MachineName(RuntimeInformation.OSArchitecture)}";

    private static readonly string UserAgent = $"ProtonVPN/{ClientVersion} (Linux; {MachineName(RuntimeInformation.OSArchitecture)})";
    private const string RefreshPath = "/auth/v4/refresh";

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly IPluginLogger _log;

    public ProtonApiClient(HttpClient http, Uri baseUri, IPluginLogger log, RetryPolicy? retry = null)
    {
        _http = http;
        _base = baseUri;
        _log = log;
        Retry = retry ?? new RetryPolicy();
    }

    /// <summary>Bounds of the retries of busy answers.</summary>
    public RetryPolicy Retry { get; }

    /// <summary>The session's tokens; null before login.</summary>
    public ApiTokens? Tokens { get; set; }

    /// <summary>A human verification to send with every request (login after a 9001), or null.</summary>
    public HumanVerificationToken? HumanVerification { get; set; }

    /// <summary>Called after a refresh so the caller can store the new tokens.</summary>
    public Func<ApiTokens, CancellationToken, Task>? TokensRefreshed { get; set; }

    /// <summary>
    /// Reads the stored tokens again. Proton's refresh tokens are single-use: when another tunmux
    /// process refreshed first, ours is spent, and the stored one is the one to use.
    /// </summary>
    public Func<CancellationToken, Task<ApiTokens?>>? ReloadTokens { get; set; }

    /// <summary>Base URL in use (for messages).</summary>
    public Uri BaseUri => _base;

    /// <summary><c>uname -m</c>'s name of an architecture (x86_64, aarch64, ...).</summary>
    public static string MachineName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "i686",
        Architecture.Arm or Architecture.Armv6 => "armv7l",
        Architecture.RiscV64 => "riscv64",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loongarch64",
        var other => other.ToString().ToLowerInvariant(),
    };

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

    /// <summary>DELETE with a JSON body (Proton's certificate revocation takes its filter in the body).</summary>
    public async Task<TResponse> DeleteAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken ct) where TResponse : ApiResponse
    {
        var bytes = await SendAsync(HttpMethod.Delete, path, () => JsonContent(body, requestType), ct).ConfigureAwait(false);
        return Deserialize(bytes, responseType, path);
    }

    private static ByteArrayContent JsonContent<T>(T body, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<byte[]> SendAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
    {
        var answer = await SendRetryingAsync(method, path, content, ct).ConfigureAwait(false);
        if (answer.Status == HttpStatusCode.Unauthorized && Tokens is not null && !IsLoginStep(method, path))
        {
            _log.Debug("Proton answered 401 on {Path}; refreshing the session", path);
            await RefreshOrReloadAsync(ct).ConfigureAwait(false);
            answer = await SendRetryingAsync(method, path, content, ct).ConfigureAwait(false);
            if (answer.Status == HttpStatusCode.Unauthorized) throw SessionGone();
        }
        CheckAnswer(answer, path);
        return answer.Body;
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

    /// <summary>
    /// Exchanges the refresh token for new tokens. Only 400 and 422 mean the session is gone
    /// (go-proton-api's <c>AuthRefreshTokenInvalid</c>, 10013, comes with 422); a busy or failing
    /// API leaves the session as it is and says so.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var tokens = Tokens ?? throw SessionGone();
        var request = new RefreshRequest { Uid = tokens.Uid, RefreshToken = tokens.RefreshToken };
        var answer = await SendRetryingAsync(HttpMethod.Post, RefreshPath, () => JsonContent(request, ApiJson.Default.RefreshRequest), ct,
            authorize: false, retryConflict: true).ConfigureAwait(false);
        if (answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity) throw SessionGone();
        if ((int)answer.Status >= 300)
            throw new ProviderException($"could not refresh the Proton session ({Describe(answer)}); it is kept; try again later");
        CheckAnswer(answer, RefreshPath);
        var parsed = Deserialize(answer.Body, ApiJson.Default.RefreshResponse, RefreshPath);
        if (parsed.AccessToken.Length == 0 || parsed.RefreshToken.Length == 0) throw SessionGone();
        _log.RegisterSecret(parsed.AccessToken);
        _log.RegisterSecret(parsed.RefreshToken);
        Tokens = new ApiTokens(parsed.Uid is { Length: > 0 } uid ? uid : tokens.Uid, parsed.AccessToken, parsed.RefreshToken);
        if (TokensRefreshed is { } saved) await saved(Tokens, ct).ConfigureAwait(false);
    }

    private static ProviderException SessionGone() =>
        new("the Proton session has expired or was revoked; log in again with `tunmux proton login <username>`");

    /// <summary>One answer, as read.</summary>
    private sealed record Answer(HttpStatusCode Status, byte[] Body, TimeSpan? RetryAfter, int Tries);

    /// <summary>A request that did not answer within the client's timeout.</summary>
    private sealed class ApiTimeoutException(string message) : ProviderException(message);

    /// <summary>
    /// Sends, and sends again while the answer is busy (429/503, and 409 on a refresh) or the first
    /// request timed out, within <see cref="Retry"/>'s bounds. The last answer is returned as is.
    /// </summary>
    private async Task<Answer> SendRetryingAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct,
        bool authorize = true, bool retryConflict = false)
    {
        var spent = TimeSpan.Zero;
        var timedOut = false;
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            Answer answer;
            try
            {
                answer = await SendOnceAsync(method, path, content, ct, authorize).ConfigureAwait(false) with { Tries = attempt };
            }
            catch (ApiTimeoutException ex)
            {
                if (timedOut || attempt >= Retry.MaxTries || ct.IsCancellationRequested) throw new ProviderException(ex.Message);
                timedOut = true;
                spent += Stopwatch.GetElapsedTime(started);
                _log.Debug("The Proton API did not answer on {Path}; sending it once more", path);
                continue;
            }
            spent += Stopwatch.GetElapsedTime(started);

            var busy = RetryPolicy.IsBusy(answer.Status) || (retryConflict && answer.Status == HttpStatusCode.Conflict);
            if (!busy || attempt >= Retry.MaxTries) return answer;
            var wait = answer.RetryAfter ?? Retry.DefaultWait;
            if (spent + wait > Retry.MaxWaiting)
            {
                _log.Debug("Proton asks to wait {Wait} s on {Path}, beyond what one command waits", (int)wait.TotalSeconds, path);
                return answer;
            }
            _log.Debug("Proton answered HTTP {Status} on {Path}; trying again in {Wait} s", (int)answer.Status, path, wait.TotalSeconds);
            await Retry.Delay(wait, ct).ConfigureAwait(false);
            spent += wait;
        }
    }

    private async Task<Answer> SendOnceAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct, bool authorize)
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
        if (HumanVerification is { } hv)
        {
            request.Headers.TryAddWithoutValidation("x-pm-human-verification-token", hv.Token);
            request.Headers.TryAddWithoutValidation("x-pm-human-verification-token-type", hv.Type);
        }
        if (content is not null) request.Content = content();

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            return new Answer(response.StatusCode, body, RetryPolicy.RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow), 1);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ApiTimeoutException($"the Proton API at {_base} did not answer within {_http.Timeout.TotalSeconds:0} s ({path}); check the network or try again later");
        }
        catch (HttpRequestException ex)
        {
            throw new ProviderException($"cannot reach the Proton API at {_base} ({ex.Message}); check the network or api_url", ex);
        }
    }

    private static string Describe(Answer answer) =>
        $"HTTP {(int)answer.Status}{(answer.Tries > 1 ? $" after {answer.Tries} tries" : "")}";

    private static void CheckAnswer(Answer answer, string path)
    {
        var (status, body) = (answer.Status, answer.Body);
        var code = 0;
        string? error = null;
        JsonElement details = default;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            try
            {
                var parsed = JsonSerializer.Deserialize(body, ApiJson.Default.ApiResponse);
                code = parsed?.Code ?? 0;
                error = parsed?.Error;
                details = parsed?.Details ?? default;
            }
            catch (JsonException)
            {
                // Not Proton's JSON; judged by the status below.
            }
        }

        if (code is 1000 or 1001 && (int)status < 400) return;
        // A rate limit is said as such whatever code the body carries.
        if (status == HttpStatusCode.TooManyRequests)
            throw new ProviderException(answer.RetryAfter is { } after
                ? $"the Proton API is rate-limiting this client ({Describe(answer)}) and asks to wait {Math.Ceiling(after.TotalSeconds):0} s; try again then"
                : $"the Proton API is rate-limiting this client ({Describe(answer)}); wait a few minutes and try again");
        if (code != 0 && code is not (1000 or 1001)) throw ProtonErrors.FromCode(code, (int)status, error, path, details);
        if ((int)status >= 500) throw new ProviderException($"the Proton API failed on {path} ({Describe(answer)}); try again later");
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
