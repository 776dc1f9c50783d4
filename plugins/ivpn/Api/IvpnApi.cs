using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Ivpn.Api;

/// <summary>
/// Client of IVPN's API (<c>https://api.ivpn.net</c>) as IVPN's daemon uses it: JSON POSTs whose
/// answers carry a <c>status</c> field (200 on success, an IVPN code otherwise, whatever the HTTP
/// status); sessions are created with the client's WireGuard key (<c>v4/session/new</c>), checked,
/// deleted and given a new key (<c>v4/session/wg/set</c>); <c>v5/servers.json</c> lists the servers.
/// Accounts are created on the web site (<c>www.ivpn.net/web/accounts/create</c>), as the original tool does.
/// </summary>
internal sealed class IvpnApi
{
    public const string Default = "https://api.ivpn.net/";
    public const string EnvironmentVariable = "TUNMUX_IVPN_API_URL";
    public const string DefaultWeb = "https://www.ivpn.net/";
    public const string WebEnvironmentVariable = "TUNMUX_IVPN_WEB_URL";

    private readonly ApiTransport _api;
    private readonly ApiTransport _web;
    private readonly IPluginLogger _log;

    public IvpnApi(HttpClient http, Uri baseUri, Uri webUri, IPluginLogger log)
    {
        _api = new ApiTransport(http, baseUri, "IVPN");
        _web = new ApiTransport(http, webUri, "IVPN web");
        _log = log;
    }

    public Uri BaseUri => _api.BaseUri;

    /// <summary>Creates a session; 602 (session limit) and 70011 (second factor) come back as <see cref="IvpnApiException"/> for the caller to act on.</summary>
    public async Task<SessionNewAnswer> NewSessionAsync(string accountId, string publicKey, bool force, string? confirmation, CancellationToken ct)
    {
        const string path = "v4/session/new";
        var body = await PostAsync(_api, path, new SessionNewRequest { Username = accountId, WgPublicKey = publicKey, Force = force, Confirmation = confirmation },
            ApiJson.Default.SessionNewRequest, ct).ConfigureAwait(false);
        var status = ReadStatus(body, path);
        if (status.Status == IvpnErrors.SessionLimit)
            throw IvpnErrors.FromStatus(status.Status, status.Message, path, _api.Read(body, ApiJson.Default.SessionLimitAnswer, path).Data);
        if (status.Status != IvpnErrors.Success) throw IvpnErrors.FromStatus(status.Status, status.Message, path);
        var answer = _api.Read(body, ApiJson.Default.SessionNewAnswer, path);
        if (string.IsNullOrWhiteSpace(answer.Token)) throw _api.Malformed(path, "no session token");
        _log.RegisterSecret(answer.Token);
        if (answer.VpnPassword is { Length: > 0 } password) _log.RegisterSecret(password);
        if (answer.Wireguard is not { } wg) throw _api.Malformed(path, "no wireguard part");
        if (wg.Status != IvpnErrors.Success) throw IvpnErrors.FromStatus(wg.Status, wg.Message, path + " (wireguard)");
        if (string.IsNullOrWhiteSpace(wg.IpAddress)) throw _api.Malformed(path, "no WireGuard address");
        return answer;
    }

    public async Task<SessionStatusAnswer> SessionStatusAsync(string token, CancellationToken ct)
    {
        const string path = "v4/session/status";
        var body = await PostAsync(_api, path, new SessionTokenRequest { SessionToken = token }, ApiJson.Default.SessionTokenRequest, ct).ConfigureAwait(false);
        Ensure(body, path);
        return _api.Read(body, ApiJson.Default.SessionStatusAnswer, path);
    }

    public async Task DeleteSessionAsync(string token, CancellationToken ct)
    {
        const string path = "v4/session/delete";
        var body = await PostAsync(_api, path, new SessionTokenRequest { SessionToken = token }, ApiJson.Default.SessionTokenRequest, ct).ConfigureAwait(false);
        Ensure(body, path);
    }

    /// <summary>Sets a new WireGuard key on the session (the old one named as the connected key); returns the tunnel address that goes with it.</summary>
    public async Task<string> SetKeyAsync(string token, string newPublicKey, string connectedPublicKey, CancellationToken ct)
    {
        const string path = "v4/session/wg/set";
        var body = await PostAsync(_api, path, new KeySetRequest { SessionToken = token, PublicKey = newPublicKey, ConnectedPublicKey = connectedPublicKey },
            ApiJson.Default.KeySetRequest, ct).ConfigureAwait(false);
        Ensure(body, path);
        var answer = _api.Read(body, ApiJson.Default.KeySetAnswer, path);
        return string.IsNullOrWhiteSpace(answer.IpAddress) ? throw _api.Malformed(path, "no WireGuard address") : answer.IpAddress;
    }

    public async Task<byte[]> GetServersAsync(CancellationToken ct)
    {
        const string path = "v5/servers.json";
        using var request = new HttpRequestMessage(HttpMethod.Get, _api.Resolve(path));
        var answer = await _api.SendAsync(request, path, ct).ConfigureAwait(false);
        if (!answer.IsSuccess) throw _api.StatusFailure(answer, path);
        return answer.Body;
    }

    /// <summary>Creates an account on the web site; it stays inactive until time is added.</summary>
    public async Task<CreatedAccount> CreateAccountAsync(string product, CancellationToken ct)
    {
        const string path = "web/accounts/create";
        using var request = new HttpRequestMessage(HttpMethod.Post, _web.Resolve(path)) { Content = ApiTransport.JsonContent(new CreateAccountRequest { Product = product }, ApiJson.Default.CreateAccountRequest) };
        var answer = await _web.SendAsync(request, path, ct).ConfigureAwait(false);
        if (!answer.IsSuccess) throw _web.StatusFailure(answer, path, Message(answer.Body));
        var created = _web.Read(answer.Body, ApiJson.Default.CreateAccountAnswer, path).Account;
        if (created is null || string.IsNullOrWhiteSpace(created.Id)) throw _web.Malformed(path, "no account id");
        _log.RegisterSecret(created.Id);
        return created;
    }

    private static async Task<byte[]> PostAsync<T>(ApiTransport transport, string path, T body, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, transport.Resolve(path)) { Content = ApiTransport.JsonContent(body, type) };
        var answer = await transport.SendAsync(request, path, ct).ConfigureAwait(false);
        // IVPN puts its verdict in the body's status; an answer without one is judged by the HTTP status.
        if (!answer.IsSuccess && !HasStatus(answer.Body)) throw transport.StatusFailure(answer, path, Message(answer.Body));
        return answer.Body;
    }

    private StatusAnswer ReadStatus(byte[] body, string path)
    {
        var status = _api.Read(body, ApiJson.Default.StatusAnswer, path);
        return status.Status == 0 ? throw _api.Malformed(path, "no status") : status;
    }

    private void Ensure(byte[] body, string path)
    {
        var status = ReadStatus(body, path);
        if (status.Status != IvpnErrors.Success) throw IvpnErrors.FromStatus(status.Status, status.Message, path);
    }

    private static bool HasStatus(byte[] body)
    {
        try
        {
            return body.Length > 0 && body[0] == (byte)'{' && JsonSerializer.Deserialize(body, ApiJson.Default.StatusAnswer) is { Status: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Message(byte[] body)
    {
        try
        {
            return body.Length > 0 && body[0] == (byte)'{' ? JsonSerializer.Deserialize(body, ApiJson.Default.StatusAnswer)?.Message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

}
