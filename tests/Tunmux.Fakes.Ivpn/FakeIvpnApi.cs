using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtpNet;
using Tunmux.Fakes.Kit;

namespace Tunmux.Fakes.Ivpn;

/// <summary>An IVPN account the fake knows.</summary>
public sealed class FakeIvpnAccount(string id)
{
    public string Id { get; } = id;
    public bool Active { get; set; } = true;
    public DateTimeOffset ActiveUntil { get; set; } = DateTimeOffset.UtcNow.AddDays(30);
    public string Plan { get; set; } = "IVPN Pro";
    public int SessionLimit { get; set; } = 7;
    /// <summary>Base32 TOTP secret when the account has a second factor.</summary>
    public string? TotpSecret { get; set; }
}

/// <summary>A session on a fake account.</summary>
public sealed class FakeIvpnSession(FakeIvpnAccount account, string token, string publicKey, string address, string deviceName)
{
    public FakeIvpnAccount Account { get; } = account;
    public string Token { get; } = token;
    public string PublicKey { get; set; } = publicKey;
    public string Address { get; set; } = address;
    public string DeviceName { get; } = deviceName;
}

/// <summary>
/// IVPN's API on 127.0.0.1 in its wire format. Sources: ivpn/desktop-app daemon/api/api.go (paths
/// <c>v4/session/new|status|delete</c>, <c>v4/session/wg/set</c>, <c>v5/servers.json</c>), daemon/api/types/requests.go
/// (<c>username</c>, <c>force</c>, <c>wg_public_key</c>, <c>confirmation</c>, <c>session_token</c>, <c>public_key</c>,
/// <c>connected_public_key</c>), responses.go (<c>status</c>, <c>message</c>, <c>token</c>, <c>vpn_username</c>,
/// <c>vpn_password</c>, <c>device_name</c>, <c>service_status</c> {is_active, active_until, current_plan, ... limit},
/// <c>wireguard</c> {status, ip_address}, the limit answer's <c>data</c>), errors.go (200, 401, 424, 601, 602, 702,
/// 70001/70002 CAPTCHA, 70011/70012 second factor), api_internal.go (the verdict is the body's status, whatever the
/// HTTP status); and the original tool (CaddyGlow/tunmux src/ivpn/handlers.rs: the web site's
/// <c>POST /web/accounts/create</c> {product: "IVPN Standard"|"IVPN Pro"} → {account: {id, ref_id, is_active, product: {name}}}
/// with a <c>Csrf-Token</c> header).
/// </summary>
public sealed class FakeIvpnApi : FakeHttpServer
{
    private readonly ConcurrentDictionary<string, FakeIvpnAccount> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, FakeIvpnSession> _sessions = new();
    private int _nextAddress = 1;

    public string ServersJson { get; set; } = new ServersJsonBuilder().Build();

    /// <summary>First three octets of the tunnel addresses handed to sessions (IVPN uses 172.16.0.0/12).</summary>
    public string AddressPrefix { get; set; } = "172.21.0";

    public IReadOnlyDictionary<string, FakeIvpnAccount> Accounts => _accounts;
    public IEnumerable<FakeIvpnSession> Sessions => _sessions.Values;

    /// <summary>Key changes asked of <c>wg/set</c>: (old key, new key).</summary>
    public ConcurrentQueue<(string Connected, string New)> KeyChanges { get; } = new();

    public FakeIvpnAccount AddAccount(string id) => _accounts[id] = new FakeIvpnAccount(id);

    /// <summary>A session opened elsewhere (another device).</summary>
    public FakeIvpnSession AddSession(string accountId, string deviceName) =>
        Open(_accounts[accountId], Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), deviceName);

    /// <summary>Ends every session (as a forced login elsewhere or the web site would).</summary>
    public void EndAllSessions() => _sessions.Clear();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v4/session/new", (Delegate)NewSessionAsync);
        app.MapPost("/v4/session/status", (Delegate)StatusAsync);
        app.MapPost("/v4/session/delete", (Delegate)DeleteAsync);
        app.MapPost("/v4/session/wg/set", (Delegate)SetKeyAsync);
        app.MapGet("/v5/servers.json", () => Results.Text(ServersJson, "application/json", Encoding.UTF8, 200));
        app.MapPost("/web/accounts/create", (Delegate)CreateAccountAsync);
    }

    private async Task<IResult> NewSessionAsync(HttpContext http)
    {
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var username = body?["username"]?.GetValue<string>() ?? "";
        var pubkey = body?["wg_public_key"]?.GetValue<string>() ?? "";
        var force = body?["force"]?.GetValue<bool>() ?? false;
        var confirmation = body?["confirmation"]?.GetValue<string>();
        if (!_accounts.TryGetValue(username, out var account)) return Status(401, "Invalid Credentials", httpStatus: 401);
        if (account.TotpSecret is { } secret)
        {
            if (confirmation is null) return Status(70011, "Account has two-factor authentication enabled. Please enter TOTP token to login");
            if (!new Totp(Base32Encoding.ToBytes(secret)).VerifyTotp(confirmation, out _, new VerificationWindow(1, 1)))
                return Status(70012, "Specified two-factor authentication token is not valid");
        }
        if (!IsKey(pubkey)) return Status(400, "wg_public_key is not a WireGuard public key", httpStatus: 400);
        var open = _sessions.Values.Where(s => s.Account == account).ToList();
        if (open.Count >= account.SessionLimit)
        {
            if (!force)
            {
                var limit = ServiceStatus(account);
                limit["limit"] = account.SessionLimit;
                return Json(new JsonObject { ["status"] = 602, ["message"] = "You've reached the session limit, log out from other device", ["data"] = limit });
            }
            foreach (var s in open) _sessions.TryRemove(s.Token, out _);
        }

        var session = Open(account, pubkey, "device-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        var (ok, summary) = await RunHookAsync(pubkey, session.Address, http.RequestAborted).ConfigureAwait(false);
        if (!ok)
        {
            _sessions.TryRemove(session.Token, out _);
            return Status(500, "hook failed: " + summary, httpStatus: 500);
        }
        return Json(new JsonObject
        {
            ["status"] = 200,
            ["token"] = session.Token,
            ["vpn_username"] = "ivpn" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            ["vpn_password"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ["device_name"] = session.DeviceName,
            ["service_status"] = ServiceStatus(account),
            ["wireguard"] = new JsonObject { ["status"] = 200, ["message"] = "", ["ip_address"] = session.Address },
        });
    }

    private async Task<IResult> StatusAsync(HttpContext http)
    {
        if (await SessionOf(http).ConfigureAwait(false) is not { } session) return SessionNotFound();
        return Json(new JsonObject { ["status"] = 200, ["service_status"] = ServiceStatus(session.Account), ["device_name"] = session.DeviceName });
    }

    private async Task<IResult> DeleteAsync(HttpContext http)
    {
        if (await SessionOf(http).ConfigureAwait(false) is not { } session) return SessionNotFound();
        _sessions.TryRemove(session.Token, out _);
        return Json(new JsonObject { ["status"] = 200, ["message"] = "Session deleted" });
    }

    private async Task<IResult> SetKeyAsync(HttpContext http)
    {
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var token = body?["session_token"]?.GetValue<string>() ?? "";
        var key = body?["public_key"]?.GetValue<string>() ?? "";
        var connected = body?["connected_public_key"]?.GetValue<string>() ?? "";
        if (!_sessions.TryGetValue(token, out var session)) return SessionNotFound();
        if (connected != session.PublicKey) return Status(424, "WireGuard Public Key not found");
        if (!IsKey(key)) return Status(400, "public_key is not a WireGuard public key", httpStatus: 400);
        var address = $"{AddressPrefix}.{Interlocked.Increment(ref _nextAddress) % 250 + 2}";
        var (ok, summary) = await RunHookAsync(key, address, http.RequestAborted).ConfigureAwait(false);
        if (!ok) return Status(500, "hook failed: " + summary, httpStatus: 500);
        KeyChanges.Enqueue((connected, key));
        session.PublicKey = key;
        session.Address = address;
        return Json(new JsonObject { ["status"] = 200, ["ip_address"] = address });
    }

    private async Task<IResult> CreateAccountAsync(HttpContext http)
    {
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var product = body?["product"]?.GetValue<string>();
        if (product is not ("IVPN Standard" or "IVPN Pro"))
            return Results.Text(new JsonObject { ["message"] = "Invalid product" }.ToJsonString(), "application/json", Encoding.UTF8, 400);
        const string letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        string Group() => string.Concat(Enumerable.Range(0, 4).Select(_ => letters[RandomNumberGenerator.GetInt32(letters.Length)]));
        var account = AddAccount($"i-{Group()}-{Group()}-{Group()}");
        account.Active = false;
        account.Plan = product;
        http.Response.Headers["Csrf-Token"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return Results.Text(new JsonObject
        {
            ["account"] = new JsonObject
            {
                ["id"] = account.Id,
                ["ref_id"] = Group() + Group(),
                ["is_active"] = false,
                ["product"] = new JsonObject { ["name"] = product },
            },
        }.ToJsonString(), "application/json", Encoding.UTF8, 200);
    }

    private FakeIvpnSession Open(FakeIvpnAccount account, string pubkey, string deviceName)
    {
        var session = new FakeIvpnSession(account, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)), pubkey,
            $"{AddressPrefix}.{Interlocked.Increment(ref _nextAddress) % 250 + 2}", deviceName);
        _sessions[session.Token] = session;
        return session;
    }

    private async Task<FakeIvpnSession?> SessionOf(HttpContext http)
    {
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var token = body?["session_token"]?.GetValue<string>() ?? "";
        return _sessions.TryGetValue(token, out var session) ? session : null;
    }

    private static JsonObject ServiceStatus(FakeIvpnAccount a) => new()
    {
        ["is_active"] = a.Active,
        ["active_until"] = a.ActiveUntil.ToUnixTimeSeconds(),
        ["current_plan"] = a.Plan,
        ["payment_method"] = "prepaid",
        ["is_renewable"] = false,
        ["will_auto_rebill"] = false,
        ["is_on_free_trial"] = false,
        ["capabilities"] = new JsonArray("multihop", "port-forwarding"),
        ["upgradable"] = false,
        ["upgrade_to_plan"] = "",
        ["upgrade_to_url"] = "",
    };


    private static IResult SessionNotFound() => Status(601, "Session not found");

    private static IResult Status(int status, string message, int httpStatus = 200) =>
        Results.Text(new JsonObject { ["status"] = status, ["message"] = message }.ToJsonString(), "application/json", Encoding.UTF8, httpStatus);

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, 200);
}
