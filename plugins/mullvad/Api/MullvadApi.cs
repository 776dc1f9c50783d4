using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Mullvad.Api;

/// <summary>An access token and when it expires.</summary>
internal sealed record AccessToken(string Value, DateTimeOffset Expiry);

/// <summary>
/// Client of Mullvad's REST API (<c>https://api.mullvad.net</c>), as mullvad-api does it: the account
/// number buys a short-lived access token (<c>POST auth/v1/token</c>) that authorizes the account
/// calls as a Bearer token; a token about to expire (within a minute) is replaced first, and a
/// call answered <c>INVALID_ACCESS_TOKEN</c> is sent once more with a new token. The relay list is
/// fetched with <c>If-None-Match</c> and may come back 304.
/// </summary>
internal sealed class MullvadApi
{
    public const string Default = "https://api.mullvad.net/";
    public const string EnvironmentVariable = "TUNMUX_MULLVAD_API_URL";
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(1);

    private readonly ApiTransport _transport;
    private readonly IPluginLogger _log;
    private readonly TimeProvider _time;

    internal MullvadApi(HttpClient http, Uri baseUri, IPluginLogger log, TimeProvider time)
    {
        _transport = new ApiTransport(http, baseUri, "Mullvad");
        _log = log;
        _time = time;
    }

    public Uri BaseUri => _transport.BaseUri;

    /// <summary>The account the authorized calls are made for.</summary>
    public string? AccountNumber { get; set; }

    /// <summary>The current access token, if any (kept in the session between commands).</summary>
    public AccessToken? Token { get; set; }

    /// <summary>Called when a new token was obtained, so the caller can keep it.</summary>
    public Func<AccessToken, CancellationToken, Task>? TokenChanged { get; set; }

    public async Task<AccessToken> FetchTokenAsync(CancellationToken ct)
    {
        var number = AccountNumber ?? throw new InvalidOperationException("no account number");
        const string path = "auth/v1/token";
        var body = ApiTransport.JsonContent(new AccessTokenRequest { AccountNumber = number }, ApiJson.Default.AccessTokenRequest);
        var answer = await SendAsync(HttpMethod.Post, path, body, null, ct).ConfigureAwait(false);
        Expect(answer, path, HttpStatusCode.OK);
        var token = _transport.Read(answer.Body, ApiJson.Default.AccessTokenAnswer, path);
        if (token.AccessToken.Length == 0) throw _transport.Malformed(path, "no access_token");
        _log.RegisterSecret(token.AccessToken);
        Token = new AccessToken(token.AccessToken, token.Expiry);
        if (TokenChanged is { } changed) await changed(Token, ct).ConfigureAwait(false);
        return Token;
    }

    public async Task<AccountCreatedAnswer> CreateAccountAsync(CancellationToken ct)
    {
        const string path = "accounts/v1/accounts";
        var answer = await SendAsync(HttpMethod.Post, path, null, null, ct).ConfigureAwait(false);
        Expect(answer, path, HttpStatusCode.Created);
        var created = _transport.Read(answer.Body, ApiJson.Default.AccountCreatedAnswer, path);
        if (created.Number.Length == 0) throw _transport.Malformed(path, "no account number");
        _log.RegisterSecret(created.Number);
        return created;
    }

    public Task<AccountAnswer> GetAccountAsync(CancellationToken ct) =>
        AuthorizedAsync(HttpMethod.Get, "accounts/v1/accounts/me", null, HttpStatusCode.OK, ApiJson.Default.AccountAnswer, ct);

    public Task<List<DeviceAnswer>> ListDevicesAsync(CancellationToken ct) =>
        AuthorizedAsync(HttpMethod.Get, "accounts/v1/devices", null, HttpStatusCode.OK, ApiJson.Default.ListDeviceAnswer, ct);

    public Task<DeviceAnswer> GetDeviceAsync(string id, CancellationToken ct) =>
        AuthorizedAsync(HttpMethod.Get, $"accounts/v1/devices/{Uri.EscapeDataString(id)}", null, HttpStatusCode.OK, ApiJson.Default.DeviceAnswer, ct);

    public Task<DeviceAnswer> CreateDeviceAsync(string publicKey, CancellationToken ct) =>
        AuthorizedAsync(HttpMethod.Post, "accounts/v1/devices",
            () => ApiTransport.JsonContent(new DeviceSubmission { Pubkey = publicKey, HijackDns = false }, ApiJson.Default.DeviceSubmission),
            HttpStatusCode.Created, ApiJson.Default.DeviceAnswer, ct);

    /// <summary>Replaces the device's WireGuard key (<c>PUT accounts/v1/devices/{id}/pubkey</c>); the answer carries the addresses that go with it.</summary>
    public Task<DeviceAnswer> ReplaceKeyAsync(string id, string publicKey, CancellationToken ct) =>
        AuthorizedAsync(HttpMethod.Put, $"accounts/v1/devices/{Uri.EscapeDataString(id)}/pubkey",
            () => ApiTransport.JsonContent(new KeyRotation { Pubkey = publicKey }, ApiJson.Default.KeyRotation),
            HttpStatusCode.OK, ApiJson.Default.DeviceAnswer, ct);

    public async Task RemoveDeviceAsync(string id, CancellationToken ct)
    {
        var path = $"accounts/v1/devices/{Uri.EscapeDataString(id)}";
        var answer = await SendAuthorizedAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);
        Expect(answer, path, HttpStatusCode.NoContent);
    }

    /// <summary><c>GET app/v1/relays</c>, conditional on the cached copy's ETag.</summary>
    public async Task<FetchedList> GetRelaysAsync(string? etag, CancellationToken ct)
    {
        const string path = "app/v1/relays";
        var answer = await SendAsync(HttpMethod.Get, path, null, etag, ct).ConfigureAwait(false);
        if (etag is not null && answer.Status == HttpStatusCode.NotModified) return new FetchedList(true, [], etag);
        Expect(answer, path, HttpStatusCode.OK);
        return new FetchedList(false, answer.Body, answer.ETag);
    }

    private async Task<T> AuthorizedAsync<T>(HttpMethod method, string path, Func<HttpContent>? content, HttpStatusCode expected,
        JsonTypeInfo<T> type, CancellationToken ct)
    {
        var answer = await SendAuthorizedAsync(method, path, content, ct).ConfigureAwait(false);
        Expect(answer, path, expected);
        return _transport.Read(answer.Body, type, path);
    }

    private async Task<ApiAnswer> SendAuthorizedAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
    {
        var token = Token is { } t && t.Expiry - _time.GetUtcNow() > ExpiryMargin ? t : await FetchTokenAsync(ct).ConfigureAwait(false);
        var answer = await SendAsync(method, path, content?.Invoke(), null, ct, token.Value).ConfigureAwait(false);
        if (answer.Status == HttpStatusCode.Unauthorized && ErrorCode(answer) == MullvadErrors.InvalidAccessToken)
        {
            // The token may have been revoked or expired early: one more try with a new one, as mullvad-api does.
            _log.Debug("Mullvad rejected the access token on {Path}; fetching a new one", path);
            token = await FetchTokenAsync(ct).ConfigureAwait(false);
            answer = await SendAsync(method, path, content?.Invoke(), null, ct, token.Value).ConfigureAwait(false);
        }
        return answer;
    }

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, HttpContent? content, string? ifNoneMatch, CancellationToken ct,
        string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, _transport.Resolve(path)) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await _transport.SendAsync(request, path, ct).ConfigureAwait(false);
    }

    private void Expect(ApiAnswer answer, string path, HttpStatusCode expected)
    {
        if (answer.Status == expected) return;
        if (answer.IsSuccess)
        {
            _log.Debug("Mullvad answered {Status} on {Path} where {Expected} was expected", (int)answer.Status, path, (int)expected);
            if (answer.Body.Length > 0 || expected == HttpStatusCode.NoContent) return;
            throw _transport.Malformed(path, "empty answer");
        }
        var error = ReadError(answer);
        if (error is ({ Length: > 0 } code, var detail)) throw MullvadErrors.FromCode(code, (int)answer.Status, detail, path);
        throw _transport.StatusFailure(answer, path, error?.Item2);
    }

    private static string? ErrorCode(ApiAnswer answer) => ReadError(answer)?.Code;

    /// <summary>The code and text of an error answer, in either of the forms mullvad-api's rest.rs accepts.</summary>
    private static (string? Code, string? Detail)? ReadError(ApiAnswer answer)
    {
        if (answer.Body.Length == 0 || answer.Body[0] != (byte)'{') return null;
        try
        {
            var e = JsonSerializer.Deserialize(answer.Body, ApiJson.Default.ErrorAnswer);
            if (e is null) return null;
            var problem = answer.ContentType == "application/problem+json";
            return (problem ? e.Type : e.Code, e.Detail ?? e.Error ?? e.Title);
        }
        catch (JsonException)
        {
            return null;
        }
    }

}
