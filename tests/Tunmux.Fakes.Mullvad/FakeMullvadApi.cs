using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tunmux.Fakes.Kit;

namespace Tunmux.Fakes.Mullvad;

/// <summary>A Mullvad account the fake knows.</summary>
public sealed class FakeMullvadAccount(string number, DateTimeOffset expiry)
{
    public string Number { get; } = number;
    public string Id { get; } = Guid.NewGuid().ToString();
    public DateTimeOffset Expiry { get; set; } = expiry;
    public int MaxDevices { get; set; } = 5;
    public ConcurrentDictionary<string, FakeDevice> Devices { get; } = new();
}

/// <summary>A device on a fake account.</summary>
public sealed record FakeDevice(string Id, string Name, string Pubkey, DateTimeOffset Created, string Ipv4Address, string? Ipv6Address);

/// <summary>
/// Mullvad's REST API on 127.0.0.1, speaking its wire format as Mullvad's own clients use it. Sources:
/// mullvad/mullvadvpn-app mullvad-api/src/access.rs (<c>POST /auth/v1/token</c> with <c>account_number</c>,
/// answer <c>access_token</c> + <c>expiry</c>), lib.rs (<c>GET /accounts/v1/accounts/me</c>, <c>POST /accounts/v1/accounts</c>
/// → 201 with <c>number</c>, the error codes), device.rs (<c>POST /accounts/v1/devices</c> {pubkey, hijack_dns} → 201,
/// <c>GET /accounts/v1/devices[/{id}]</c>, <c>DELETE /accounts/v1/devices/{id}</c> → 204), rest.rs (Bearer tokens;
/// <c>401 {"code": "INVALID_ACCESS_TOKEN"}</c>; error bodies <c>{"code", "detail"}</c>), relay_list.rs
/// (<c>GET /app/v1/relays</c> with ETag and 304 on If-None-Match), device.rs
/// (<c>PUT /accounts/v1/devices/{id}/pubkey</c> {pubkey} → 200 with the device); the app's mock API
/// (android/test/mockapi: MockApiRouter.kt, JsonUtils.kt: the device, account and token JSON,
/// <c>MAX_DEVICES_REACHED</c> answered 400 with a detail, five devices per account); and the original
/// tool's client (CaddyGlow/tunmux src/mullvad/api.rs).
/// </summary>
public sealed class FakeMullvadApi : FakeHttpServer
{
    private static readonly string[] Adjectives = ["Mole", "Brave", "Quick", "Calm", "Witty", "Proud", "Lucky", "Jolly", "Shy", "Bold"];
    private static readonly string[] Animals = ["Mole", "Otter", "Lynx", "Heron", "Badger", "Koala", "Tapir", "Moose", "Seal", "Wren"];

    private readonly ConcurrentDictionary<string, FakeMullvadAccount> _accounts = new();
    private readonly ConcurrentDictionary<string, (FakeMullvadAccount Account, DateTimeOffset Expiry)> _tokens = new();
    private int _nextAddress = 1;

    /// <summary>The body of <c>GET /app/v1/relays</c>.</summary>
    public string RelaysJson { get; set; } = new RelayListBuilder().Build();

    /// <summary>First three octets of the IPv4 addresses handed to devices (Mullvad uses 10.64–10.127).</summary>
    public string AddressPrefix { get; set; } = "10.64.0";

    /// <summary>False to hand out no IPv6 address.</summary>
    public bool Ipv6 { get; set; } = true;

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Token requests answered so far.</summary>
    public int TokensIssued;

    public IReadOnlyDictionary<string, FakeMullvadAccount> Accounts => _accounts;

    public FakeMullvadAccount AddAccount(string number, DateTimeOffset? expiry = null) =>
        _accounts[number] = new FakeMullvadAccount(number, expiry ?? DateTimeOffset.UtcNow.AddDays(30));

    /// <summary>Adds a device as if another machine had registered it.</summary>
    public FakeDevice AddDevice(string number, string name, DateTimeOffset created)
    {
        var device = NewDevice(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), created);
        _accounts[number].Devices[device.Id] = device;
        return device;
    }

    /// <summary>Makes every access token issued so far invalid (the next call is answered INVALID_ACCESS_TOKEN).</summary>
    public void RevokeAccessTokens() => _tokens.Clear();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/auth/v1/token", (Delegate)TokenAsync);
        app.MapGet("/accounts/v1/accounts/me", (Delegate)AccountMe);
        app.MapPost("/accounts/v1/accounts", (Delegate)CreateAccount);
        app.MapGet("/accounts/v1/devices", (Delegate)ListDevices);
        app.MapPost("/accounts/v1/devices", (Delegate)CreateDeviceAsync);
        app.MapGet("/accounts/v1/devices/{id}", (Delegate)GetDevice);
        app.MapDelete("/accounts/v1/devices/{id}", (Delegate)DeleteDevice);
        app.MapPut("/accounts/v1/devices/{id}/pubkey", (Delegate)ReplaceKeyAsync);
        app.MapGet("/app/v1/relays", (Delegate)Relays);
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var number = body?["account_number"]?.GetValue<string>() ?? "";
        if (!_accounts.TryGetValue(number, out var account))
            return Error(400, "INVALID_ACCOUNT", "This is not a valid Mullvad account");
        var token = "mva_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var expiry = DateTimeOffset.UtcNow + TokenLifetime;
        _tokens[token] = (account, expiry);
        Interlocked.Increment(ref TokensIssued);
        return Json(200, new JsonObject { ["access_token"] = token, ["expiry"] = Rfc3339(expiry) });
    }

    private IResult AccountMe(HttpContext http)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        return Json(200, AccountJson(account));
    }

    private IResult CreateAccount(HttpContext http)
    {
        string number;
        do number = string.Concat(Enumerable.Range(0, 16).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));
        while (_accounts.ContainsKey(number));
        // New accounts have no time until some is bought (the mock API answers expiry = now).
        var account = AddAccount(number, DateTimeOffset.UtcNow);
        var json = AccountJson(account);
        json["number"] = number;
        return Json(201, json);
    }

    private IResult ListDevices(HttpContext http)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        var list = new JsonArray();
        foreach (var d in account.Devices.Values.OrderBy(d => d.Created)) list.Add(DeviceJson(d));
        return Results.Text(list.ToJsonString(), "application/json", Encoding.UTF8, 200);
    }

    private async Task<IResult> CreateDeviceAsync(HttpContext http)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var pubkey = body?["pubkey"]?.GetValue<string>() ?? "";
        if (!IsKey(pubkey)) return Error(400, "PARSING_ERROR", "pubkey is not a WireGuard public key");
        if (_accounts.Values.Any(a => a.Devices.Values.Any(d => d.Pubkey == pubkey))) return Error(400, "PUBKEY_IN_USE", "The public key is already in use");
        if (account.Devices.Count >= account.MaxDevices)
            return Error(400, "MAX_DEVICES_REACHED", "This account already has the maximum number of devices.");

        var device = NewDevice(NewName(account), pubkey, DateTimeOffset.UtcNow);
        var (ok, summary) = await RunHookAsync(pubkey, device.Ipv4Address, http.RequestAborted).ConfigureAwait(false);
        if (!ok) return Error(500, "INTERNAL_ERROR", "hook failed: " + summary);
        account.Devices[device.Id] = device;
        return Json(201, DeviceJson(device));
    }

    private IResult GetDevice(HttpContext http, string id)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        return account.Devices.TryGetValue(id, out var device) ? Json(200, DeviceJson(device)) : Error(404, "DEVICE_NOT_FOUND", "The device was not found");
    }

    private async Task<IResult> ReplaceKeyAsync(HttpContext http, string id)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        if (!account.Devices.TryGetValue(id, out var device)) return Error(404, "DEVICE_NOT_FOUND", "The device was not found");
        var body = await ReadJsonAsync(http).ConfigureAwait(false);
        var pubkey = body?["pubkey"]?.GetValue<string>() ?? "";
        if (!IsKey(pubkey)) return Error(400, "PARSING_ERROR", "pubkey is not a WireGuard public key");
        var renewed = NewDevice(device.Name, pubkey, device.Created) with { Id = device.Id };
        var (ok, summary) = await RunHookAsync(pubkey, renewed.Ipv4Address, http.RequestAborted).ConfigureAwait(false);
        if (!ok) return Error(500, "INTERNAL_ERROR", "hook failed: " + summary);
        account.Devices[id] = renewed;
        return Json(200, DeviceJson(renewed));
    }

    private IResult DeleteDevice(HttpContext http, string id)
    {
        if (Authenticate(http) is not { } account) return InvalidToken();
        return account.Devices.TryRemove(id, out _) ? Results.StatusCode(204) : Error(404, "DEVICE_NOT_FOUND", "The device was not found");
    }

    private IResult Relays(HttpContext http)
    {
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RelaysJson)))[..16] + "\"";
        http.Response.Headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(304);
        return Results.Text(RelaysJson, "application/json", Encoding.UTF8, 200);
    }

    private FakeMullvadAccount? Authenticate(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        return _tokens.TryGetValue(auth["Bearer ".Length..], out var t) && t.Expiry > DateTimeOffset.UtcNow ? t.Account : null;
    }

    private FakeDevice NewDevice(string name, string pubkey, DateTimeOffset created)
    {
        var n = Interlocked.Increment(ref _nextAddress);
        var ipv4 = $"{AddressPrefix}.{n % 250 + 2}/32";
        var ipv6 = Ipv6 ? $"fc00:bbbb:bbbb:bb01::{n:x}/128" : null;
        return new FakeDevice(Guid.NewGuid().ToString(), name, pubkey, created, ipv4, ipv6);
    }

    private static string NewName(FakeMullvadAccount account)
    {
        for (var i = 0; ; i++)
        {
            var name = $"{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]} {Animals[RandomNumberGenerator.GetInt32(Animals.Length)]}";
            if (i > 50) name += " " + i.ToString(CultureInfo.InvariantCulture);
            if (!account.Devices.Values.Any(d => d.Name == name)) return name;
        }
    }

    private static JsonObject AccountJson(FakeMullvadAccount a) => new()
    {
        ["id"] = a.Id,
        ["expiry"] = Rfc3339(a.Expiry),
        ["max_devices"] = a.MaxDevices,
        ["can_add_devices"] = a.Devices.Count < a.MaxDevices,
    };

    private static JsonObject DeviceJson(FakeDevice d)
    {
        var json = new JsonObject
        {
            ["id"] = d.Id,
            ["name"] = d.Name,
            ["pubkey"] = d.Pubkey,
            ["hijack_dns"] = false,
            ["created"] = Rfc3339(d.Created),
            ["ipv4_address"] = d.Ipv4Address,
        };
        if (d.Ipv6Address is not null) json["ipv6_address"] = d.Ipv6Address;
        return json;
    }

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss'+00:00'", CultureInfo.InvariantCulture);


    private static IResult InvalidToken() => Error(401, "INVALID_ACCESS_TOKEN", "Invalid access token");

    private static IResult Error(int status, string code, string detail) =>
        Results.Text(new JsonObject { ["code"] = code, ["detail"] = detail }.ToJsonString(), "application/json", Encoding.UTF8, status);

    private static IResult Json(int status, JsonNode body) => Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, status);
}
