using System.Net;
using System.Text.Json;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>
/// A logged-in session on the airvpn.org web site (ports, devices, API keys, sessions pages).
/// Cookies and the per-page ecsrf tokens live in the credential item <c>web_session.json</c> and are
/// reused until the site stops accepting them; then the session is renewed once, without asking.
/// </summary>
internal sealed class AirWeb : IDisposable
{
    public const string Item = "web_session.json";

    private readonly Settings _settings;
    private readonly IProviderContext _context;
    private readonly AirSession _account;
    private CookieContainer _cookies = new();
    private HttpClient _http;
    private Dictionary<string, string> _ecsrf = new(StringComparer.Ordinal);
    private bool _loggedIn;

    private AirWeb(Settings settings, IProviderContext context, AirSession account)
    {
        _settings = settings;
        _context = context;
        _account = account;
        _http = NewClient();
    }

    /// <summary>The web session for the account, restored from the credential store when one was saved for it.</summary>
    public static async Task<AirWeb> OpenAsync(Settings settings, IProviderContext context, AirSession account, CancellationToken ct)
    {
        var web = new AirWeb(settings, context, account);
        var text = await context.Credentials.GetAsync(Item, ct);
        if (text is null) return web;
        try
        {
            var saved = JsonSerializer.Deserialize<SavedWebSession>(text, AirSession.Json);
            if (saved is null || !string.Equals(saved.Username, account.Username, StringComparison.OrdinalIgnoreCase)) return web;
            foreach (var c in saved.Cookies)
            {
                if (c.Expires is { } exp && exp < DateTimeOffset.UtcNow) continue;
                context.Log.RegisterSecret(c.Value);
                try
                {
                    var cookie = new Cookie(c.Name, c.Value, c.Path, c.Domain) { Secure = c.Secure, HttpOnly = c.HttpOnly };
                    if (c.Expires is { } e) cookie.Expires = e.UtcDateTime;
                    web._cookies.Add(cookie);
                }
                catch (CookieException)
                {
                    // A cookie the jar will not take back is dropped; at worst the session is renewed.
                }
            }
            foreach (var t in saved.Ecsrf.Values) context.Log.RegisterSecret(t);
            web._ecsrf = new Dictionary<string, string>(saved.Ecsrf, StringComparer.Ordinal);
            web._loggedIn = web._cookies.Count > 0;
        }
        catch (JsonException)
        {
            context.Log.Debug("airvpn: ignoring an unreadable saved web session");
        }
        return web;
    }

    /// <summary>
    /// Runs <paramref name="action"/> in a logged-in session. When the site says the session is
    /// over, logs in again once and repeats the action. The session is saved afterwards either way.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        try
        {
            if (!_loggedIn) await LoginAsync(ct);
            try
            {
                return await action(ct);
            }
            catch (WebSessionExpiredException)
            {
                _context.Log.Debug("airvpn: web session expired; logging in again");
                await LoginAsync(ct);
                try
                {
                    return await action(ct);
                }
                catch (WebSessionExpiredException)
                {
                    throw new ProviderException("airvpn: airvpn.org ended the web session again right after a fresh login; wait a minute and retry, or check the account on airvpn.org");
                }
            }
        }
        finally
        {
            if (_loggedIn) await SaveAsync(ct);
        }
    }

    /// <summary>Posts an AJAX action to a page (<c>/ports/</c>) with its ecsrf token and returns the JSON answer.</summary>
    public async Task<JsonElement> AjaxAsync(string path, string what, IReadOnlyList<KeyValuePair<string, string>> form, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await EcsrfAsync(path, ct);
            var fields = form.Concat([KeyValuePair.Create("render", "ajax"), KeyValuePair.Create("ecsrf", token)]).ToList();
            using var content = new FormUrlEncodedContent(fields);
            using var response = await _http.PostAsync(new Uri(_settings.WebUrl, path.TrimStart('/')), content, ct);
            if (IsLoginRedirect(response) || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new WebSessionExpiredException();
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new ProviderException($"airvpn: {what} failed: airvpn.org answered HTTP {(int)response.StatusCode}; retry later");

            JsonElement json;
            try
            {
                json = JsonSerializer.Deserialize<JsonElement>(body);
            }
            catch (JsonException)
            {
                throw new ProviderException($"airvpn: {what} failed: airvpn.org sent an answer that is not JSON; retry later");
            }

            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String
                && err.GetString()!.Trim() is { Length: > 0 } message)
            {
                if (message.Contains("CSRF", StringComparison.OrdinalIgnoreCase))
                {
                    // Page tokens rotate; fetch the page again once, then treat it as a dead session.
                    _ecsrf.Remove(path);
                    if (attempt == 0) continue;
                    throw new WebSessionExpiredException();
                }
                throw new ProviderException($"airvpn: {what} refused by airvpn.org: {message.TrimEnd('.')}");
            }
            return json;
        }
    }

    private async Task<string> EcsrfAsync(string path, CancellationToken ct)
    {
        if (_ecsrf.TryGetValue(path, out var cached)) return cached;
        var (finalUri, html) = await GetFollowingAsync(new Uri(_settings.WebUrl, path.TrimStart('/')), ct);
        if (IsLoginPath(finalUri)) throw new WebSessionExpiredException();
        var token = HtmlScraper.Ecsrf(html)
            ?? throw new ProviderException($"airvpn: the page {path} on {_settings.WebUrl.Host} has no ecsrf token; the site may have changed");
        _context.Log.RegisterSecret(token);
        _ecsrf[path] = token;
        return token;
    }

    private async Task LoginAsync(CancellationToken ct)
    {
        _cookies = new CookieContainer();
        _http.Dispose();
        _http = NewClient();
        _ecsrf.Clear();
        _loggedIn = false;

        var loginUri = new Uri(_settings.WebUrl, "login/");
        var (_, page) = await GetFollowingAsync(loginUri, ct);
        var csrfKey = HtmlScraper.InputValue(page, "csrfKey")
            ?? throw new ProviderException($"airvpn: the login page of {_settings.WebUrl.Host} has no csrfKey field; the site may have changed");
        var refValue = HtmlScraper.InputValue(page, "ref") ?? "";

        using var form = new FormUrlEncodedContent(
        [
            KeyValuePair.Create("csrfKey", csrfKey),
            KeyValuePair.Create("ref", refValue),
            KeyValuePair.Create("auth", _account.Username),
            KeyValuePair.Create("password", _account.Password),
            KeyValuePair.Create("remember_me", "1"),
            KeyValuePair.Create("_processLogin", "usernamepassword"),
        ]);
        using var response = await _http.PostAsync(loginUri, form, ct);
        if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is null)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (body.Contains("locked", StringComparison.OrdinalIgnoreCase))
                throw new ProviderException($"airvpn: airvpn.org has locked the web login of '{_account.Username}' (too many attempts); wait for the lock to expire or unlock it on airvpn.org, then retry");
            throw new ProviderException($"airvpn: airvpn.org refused the web login of '{_account.Username}'; check the password with 'tunmux airvpn login {_account.Username}'");
        }
        await GetFollowingAsync(new Uri(loginUri, response.Headers.Location), ct);
        _loggedIn = true;
        foreach (Cookie c in _cookies.GetAllCookies()) _context.Log.RegisterSecret(c.Value);
        _context.Log.Debug("airvpn: web login succeeded");
    }

    /// <summary>GETs a page, following redirects and passing the site's entry gate (the af3 cookie).</summary>
    private async Task<(Uri FinalUri, string Html)> GetFollowingAsync(Uri uri, CancellationToken ct)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = await _http.GetAsync(uri, ct);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = new Uri(uri, location);
                if (next.AbsolutePath.StartsWith("/entry/", StringComparison.Ordinal) && EntryGate.Solve(next) is { } gate)
                {
                    _cookies.Add(new Cookie("af3", gate.Cookie, "/", next.Host));
                    next = new Uri(uri, gate.Target);
                }
                uri = next;
                continue;
            }
            if (!response.IsSuccessStatusCode)
                throw new ProviderException($"airvpn: {uri.Host}{uri.AbsolutePath} answered HTTP {(int)response.StatusCode}; retry later");
            return (uri, await response.Content.ReadAsStringAsync(ct));
        }
        throw new ProviderException($"airvpn: too many redirects from {uri.Host}; retry later");
    }

    private async Task SaveAsync(CancellationToken ct)
    {
        var saved = new SavedWebSession
        {
            Username = _account.Username,
            Ecsrf = new Dictionary<string, string>(_ecsrf),
            Cookies = _cookies.GetAllCookies().Select(c => new SavedCookie
            {
                Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Secure = c.Secure, HttpOnly = c.HttpOnly,
                Expires = c.Expires == DateTime.MinValue ? null : new DateTimeOffset(c.Expires.ToUniversalTime(), TimeSpan.Zero),
            }).ToList(),
        };
        await _context.Credentials.SetAsync(Item, JsonSerializer.Serialize(saved, AirSession.Json), ct);
    }

    private bool IsLoginRedirect(HttpResponseMessage r) =>
        (int)r.StatusCode is >= 300 and < 400 && r.Headers.Location is { } l && IsLoginPath(new Uri(_settings.WebUrl, l));

    private static bool IsLoginPath(Uri uri) => uri.AbsolutePath.StartsWith("/login", StringComparison.Ordinal);

    private HttpClient NewClient() => _context.Http.Create(TimeSpan.FromSeconds(30), new SocketsHttpHandler
    {
        CookieContainer = _cookies,
        UseCookies = true,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    });

    public void Dispose() => _http.Dispose();

    private sealed class WebSessionExpiredException : Exception;
}

/// <summary>airvpn.org's anti-bot entry gate: a redirect to /entry/?aek_id=..&amp;aek_url=.. answered with an af3 cookie.</summary>
internal static class EntryGate
{
    public static (string Cookie, string Target)? Solve(Uri entry)
    {
        var query = System.Web.HttpUtility.ParseQueryString(entry.Query);
        if (query["aek_id"] is not { } id) return null;
        return (Af3(id).ToString(System.Globalization.CultureInfo.InvariantCulture), query["aek_url"] ?? "/");
    }

    /// <summary>The value the gate's script computes from aek_id.</summary>
    public static long Af3(string aekId)
    {
        long result = 0;
        foreach (var c in aekId)
        {
            long computed = (long)c * c * 30;
            result %= computed;
            result += computed + 18;
        }
        return result;
    }
}

internal sealed record SavedWebSession
{
    public string Username { get; init; } = "";
    public List<SavedCookie> Cookies { get; init; } = [];
    public Dictionary<string, string> Ecsrf { get; init; } = [];
}

internal sealed record SavedCookie
{
    public string Name { get; init; } = "";
    public string Value { get; init; } = "";
    public string Domain { get; init; } = "";
    public string Path { get; init; } = "/";
    public bool Secure { get; init; }
    public bool HttpOnly { get; init; }
    public DateTimeOffset? Expires { get; init; }
}
