using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtpNet;
using Tunmux.Plugins.Proton.Srp;
using Tunmux.Privileged.Processes;

namespace Tunmux.Fakes.Proton;

/// <summary>
/// A Proton API on 127.0.0.1 speaking the real wire format: SRP login against the real signed
/// modulus from go-srp's tests (with and without TOTP), token refresh and revocation, VPN account
/// details, certificates (with an optional hook that receives the client's WireGuard key), and
/// <c>/vpn/v1/logicals</c> from a JSON file. Faults (status codes, delays) can be injected.
/// </summary>
public sealed class FakeProtonApi : IAsyncDisposable
{
    /// <summary>go-srp's test modulus, signed with Proton's modulus key.</summary>
    public const string SignedModulus =
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" +
        "W2z5HBi8RvsfYzZTS7qBaUxxPhsfHJFZpu3Kd6s1JafNrCCH9rfvPLrfuqocxWPgWDH2R8neK7PkNvjxto9TStuY5z7jAzWRvFWN9cQhAKkdWgy0JY6ywVn22+HFpF4cYesHrqFIKUPDMSSIlWjBVmEJZ/MusD44ZT29xcPrOqeZvwtCffKtGAIjLYPZIEbZKnDM1Dm3q2K/xS5h+xdhjnndhsrkwm9U9oyA2wxzSXFL+pdfj2fOdRwuR5nW0J2NFrq3kJjkRmpO/Genq1UW+TEknIWAb6VzJJJA244K/H8cnSx2+nSNZO3bbo6Ys228ruV9A8m6DhxmS+bihN3ttQ==\n" +
        "-----BEGIN PGP SIGNATURE-----\nVersion: ProtonMail\nComment: https://protonmail.com\n\n" +
        "wl4EARYIABAFAlwB1j0JEDUFhcTpUY8mAAD8CgEAnsFnF4cF0uSHKkXa1GIa\nGO86yMV4zDZEZcDSJo0fgr8A/AlupGN9EdHlsrZLmTA1vhIx+rOgxdEff28N\nkvNM7qIK\n=q6vu\n-----END PGP SIGNATURE-----\n";

    /// <summary>Address Proton gives every WireGuard client inside the tunnel.</summary>
    public const string ClientAddress = "10.2.0.2/32";

    private readonly ConcurrentDictionary<string, AccountState> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, PendingLogin> _pending = new();
    private readonly ConcurrentDictionary<string, SessionState> _sessions = new();
    private readonly ConcurrentDictionary<string, Fault> _faults = new();
    private readonly byte[] _modulus = ModulusVerifier.ReadSignedModulus(SignedModulus);
    private WebApplication? _app;

    /// <summary>The body served on <c>/vpn/v1/logicals</c> (a whole answer or a bare array).</summary>
    public byte[] LogicalsJson { get; set; } = "{\"Code\":1000,\"LogicalServers\":[]}"u8.ToArray();

    /// <summary>Program and arguments run on each certificate request; <c>{pubkey}</c>, <c>{address}</c> and <c>{device}</c> are replaced (the key is appended when there is no <c>{pubkey}</c>).</summary>
    public IReadOnlyList<string>? Hook { get; set; }

    /// <summary>"METHOD /path" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Certificates issued: the client's WireGuard public key (from the Ed25519 key) and device name.</summary>
    public ConcurrentQueue<(string WireGuardPublicKey, string DeviceName, string Mode)> Certificates { get; } = new();

    /// <summary>Lifetime of certificates issued.</summary>
    public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromDays(365);

    public Uri? Url { get; private set; }

    public void AddAccount(FakeAccount account)
    {
        var salt = RandomNumberGenerator.GetBytes(10);
        var hashed = PasswordHasher.Hash(4, Encoding.UTF8.GetBytes(account.Password), account.Username, salt, _modulus);
        _accounts[account.Username] = new AccountState(account, salt, hashed);
    }

    /// <summary>Makes every access token issued so far invalid (the next call must refresh).</summary>
    public void ExpireAccessTokens()
    {
        foreach (var s in _sessions.Values) s.AccessExpired = true;
    }

    /// <summary>Revokes every session (refresh fails too).</summary>
    public void RevokeAllSessions()
    {
        foreach (var s in _sessions.Values) s.Revoked = true;
    }

    public int ActiveSessions => _sessions.Values.Count(s => !s.Revoked);

    /// <summary>Answers the next <paramref name="times"/> requests to <paramref name="path"/> with <paramref name="status"/> after <paramref name="delay"/>.</summary>
    public void InjectFault(string path, int status = 503, TimeSpan? delay = null, int times = 1) =>
        _faults[path] = new Fault(status, delay ?? TimeSpan.Zero, times);

    public async Task<Uri> StartAsync(int port = 0, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Use(RecordAndInjectAsync);
        app.MapPost("/auth/v4/info", (Delegate)AuthInfoAsync);
        app.MapPost("/auth/v4", (Delegate)AuthAsync);
        app.MapPost("/auth/v4/2fa", (Delegate)TwoFactorAsync);
        app.MapPost("/auth/v4/refresh", (Delegate)RefreshAsync);
        app.MapDelete("/auth/v4", (Delegate)Logout);
        app.MapGet("/vpn/v2", (Delegate)VpnInfo);
        app.MapPost("/vpn/v1/certificate", (Delegate)CertificateAsync);
        app.MapGet("/vpn/v1/logicals", (Delegate)Logicals);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("[::]", "127.0.0.1").TrimEnd('/') + "/");
        return Url;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    private async Task RecordAndInjectAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path.Value ?? "/";
        Requests.Enqueue($"{http.Request.Method} {path}");
        if (_faults.TryGetValue(path, out var fault) && fault.Remaining > 0)
        {
            if (Interlocked.Decrement(ref fault.Remaining) >= 0)
            {
                if (fault.Delay > TimeSpan.Zero)
                {
                    try { await Task.Delay(fault.Delay, http.RequestAborted).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                }
                http.Response.StatusCode = fault.Status;
                await http.Response.WriteAsync(fault.Status >= 500 ? "<html>upstream error</html>" : "", http.RequestAborted).ConfigureAwait(false);
                return;
            }
        }
        await next(http).ConfigureAwait(false);
    }

    private async Task<IResult> AuthInfoAsync(HttpContext http)
    {
        var body = await ReadAsync(http).ConfigureAwait(false);
        var username = body?["Username"]?.GetValue<string>() ?? "";
        // Unknown users get a plausible challenge too, so the answer does not reveal which names exist.
        _accounts.TryGetValue(username, out var account);
        var salt = account?.Salt ?? RandomNumberGenerator.GetBytes(10);
        var hashed = account?.HashedPassword ?? RandomNumberGenerator.GetBytes(256);
        var srp = new FakeSrpServer(_modulus, hashed);
        var srpSession = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _pending[srpSession] = new PendingLogin(account, srp);
        return Ok(new JsonObject
        {
            ["Version"] = 4,
            ["Modulus"] = SignedModulus,
            ["ServerEphemeral"] = Convert.ToBase64String(srp.ServerEphemeral),
            ["Salt"] = Convert.ToBase64String(salt),
            ["SRPSession"] = srpSession,
        });
    }

    private async Task<IResult> AuthAsync(HttpContext http)
    {
        var body = await ReadAsync(http).ConfigureAwait(false);
        var srpSession = body?["SRPSession"]?.GetValue<string>() ?? "";
        if (!_pending.TryRemove(srpSession, out var pending))
            return Error(422, 8002, "Incorrect login credentials. Please try again.");
        byte[]? serverProof;
        try
        {
            serverProof = pending.Srp.Verify(Convert.FromBase64String(body!["ClientEphemeral"]!.GetValue<string>()),
                Convert.FromBase64String(body["ClientProof"]!.GetValue<string>()));
        }
        catch (Exception ex) when (ex is FormatException or NullReferenceException or InvalidOperationException)
        {
            return Error(422, 2001, "Invalid input");
        }
        if (serverProof is null || pending.Account is null)
            return Error(422, 8002, "Incorrect login credentials. Please try again.");

        var session = NewSession(pending.Account.Account);
        var totp = pending.Account.Account.TotpSecret is not null;
        session.SecondFactorDone = !totp;
        return Ok(new JsonObject
        {
            ["UID"] = session.Uid,
            ["AccessToken"] = session.AccessToken,
            ["RefreshToken"] = session.RefreshToken,
            ["TokenType"] = "Bearer",
            ["ServerProof"] = Convert.ToBase64String(serverProof),
            ["Scopes"] = totp ? new JsonArray("twofactor") : new JsonArray("full", "vpn"),
            ["2FA"] = new JsonObject { ["Enabled"] = totp ? 1 : 0, ["TOTP"] = totp ? 1 : 0 },
        });
    }

    private async Task<IResult> TwoFactorAsync(HttpContext http)
    {
        var session = Authenticate(http, requireSecondFactor: false);
        if (session is null) return Error(401, 401, "Invalid access token");
        var body = await ReadAsync(http).ConfigureAwait(false);
        var code = body?["TwoFactorCode"]?.GetValue<string>() ?? "";
        var secret = session.Account.TotpSecret;
        if (secret is null) return Error(422, 2001, "Two-factor authentication is not enabled");
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        if (!totp.VerifyTotp(code, out _, new VerificationWindow(1, 1)))
            return Error(422, 8002, "Incorrect login credentials. Please try again.");
        session.SecondFactorDone = true;
        return Ok(new JsonObject { ["Scopes"] = new JsonArray("full", "vpn") });
    }

    private async Task<IResult> RefreshAsync(HttpContext http)
    {
        var body = await ReadAsync(http).ConfigureAwait(false);
        var uid = body?["UID"]?.GetValue<string>() ?? http.Request.Headers["x-pm-uid"].ToString();
        var refresh = body?["RefreshToken"]?.GetValue<string>() ?? "";
        if (!_sessions.TryGetValue(uid, out var session) || session.Revoked || session.RefreshToken != refresh)
            return Error(422, 10013, "Invalid refresh token");
        session.AccessToken = Token();
        session.RefreshToken = Token();
        session.AccessExpired = false;
        return Ok(new JsonObject
        {
            ["UID"] = session.Uid,
            ["AccessToken"] = session.AccessToken,
            ["RefreshToken"] = session.RefreshToken,
            ["TokenType"] = "Bearer",
            ["Scopes"] = new JsonArray("full", "vpn"),
        });
    }

    private IResult Logout(HttpContext http)
    {
        var session = Authenticate(http, requireSecondFactor: false);
        if (session is null) return Error(401, 401, "Invalid access token");
        session.Revoked = true;
        return Ok(new JsonObject());
    }

    private IResult VpnInfo(HttpContext http)
    {
        var session = Authenticate(http);
        if (session is null) return Error(401, 401, "Invalid access token");
        var a = session.Account;
        return Ok(new JsonObject
        {
            ["VPN"] = new JsonObject
            {
                ["Status"] = 1,
                ["ExpirationTime"] = 0,
                ["PlanName"] = a.PlanName,
                ["PlanTitle"] = a.PlanTitle,
                ["MaxTier"] = a.MaxTier,
                ["MaxConnect"] = a.MaxConnect,
                ["Name"] = "vpn" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
                ["Password"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
                ["GroupID"] = "",
            },
            ["Subscribed"] = a.MaxTier > 0 ? 4 : 0,
            ["Services"] = 4,
            ["Delinquent"] = 0,
        });
    }

    private async Task<IResult> CertificateAsync(HttpContext http)
    {
        var session = Authenticate(http);
        if (session is null) return Error(401, 401, "Invalid access token");
        var body = await ReadAsync(http).ConfigureAwait(false);
        var pem = body?["ClientPublicKey"]?.GetValue<string>() ?? "";
        var edKey = ReadEd25519Pem(pem);
        if (edKey is null) return Error(422, 2001, "Invalid ClientPublicKey");
        var mode = body?["Mode"]?.GetValue<string>() ?? "session";
        var device = body?["DeviceName"]?.GetValue<string>() ?? "";
        var wgKey = Convert.ToBase64String(Curve25519.EdwardsToMontgomery(edKey));

        if (Hook is { Count: > 0 } hook)
        {
            var args = hook.Skip(1).Select(a => a.Replace("{pubkey}", wgKey).Replace("{address}", ClientAddress).Replace("{device}", device)).ToList();
            if (!hook.Skip(1).Any(a => a.Contains("{pubkey}", StringComparison.Ordinal))) args.Add(wgKey);
            var result = await ProcessRunner.Default.RunAsync(hook[0], args, timeout: TimeSpan.FromSeconds(60), cancellationToken: http.RequestAborted).ConfigureAwait(false);
            if (!result.Succeeded) return Error(500, 500, $"hook failed: {result.Summary}");
        }

        Certificates.Enqueue((wgKey, device, mode));
        var now = DateTimeOffset.UtcNow;
        var expires = now + CertificateLifetime;
        return Ok(new JsonObject
        {
            ["SerialNumber"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ["ClientKeyFingerprint"] = Convert.ToBase64String(SHA512.HashData(Convert.FromBase64String(wgKey))),
            ["ClientKey"] = pem,
            ["Certificate"] = "-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n",
            ["ExpirationTime"] = expires.ToUnixTimeSeconds(),
            ["RefreshTime"] = (now + CertificateLifetime * 0.75).ToUnixTimeSeconds(),
            ["Mode"] = mode,
            ["DeviceName"] = device,
            ["ServerPublicKeyMode"] = "EC",
            ["ServerPublicKey"] = "",
        });
    }

    private IResult Logicals(HttpContext http)
    {
        var body = LogicalsJson;
        if (body.Length > 0 && body[0] == (byte)'[')
            body = [.. "{\"Code\":1000,\"LogicalServers\":"u8, .. body, .. "}"u8];
        return Results.Bytes(body, "application/json");
    }

    private SessionState? Authenticate(HttpContext http, bool requireSecondFactor = true)
    {
        var uid = http.Request.Headers["x-pm-uid"].ToString();
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        if (!_sessions.TryGetValue(uid, out var session) || session.Revoked || session.AccessExpired) return null;
        if (session.AccessToken != auth["Bearer ".Length..]) return null;
        if (requireSecondFactor && !session.SecondFactorDone) return null;
        return session;
    }

    private SessionState NewSession(FakeAccount account)
    {
        var session = new SessionState(account) { Uid = Token(), AccessToken = Token(), RefreshToken = Token() };
        _sessions[session.Uid] = session;
        return session;
    }

    private static string Token() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static byte[]? ReadEd25519Pem(string pem)
    {
        var b64 = string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        try
        {
            var der = Convert.FromBase64String(b64);
            // SubjectPublicKeyInfo for Ed25519 (OID 1.3.101.112) is 12 bytes of header and the 32-byte key.
            return der.Length == 44 && der[4] == 0x06 && der[8] == 0x70 ? der[12..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<JsonNode?> ReadAsync(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static IResult Ok(JsonObject body)
    {
        body["Code"] = 1000;
        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, 200);
    }

    private static IResult Error(int status, int code, string message) =>
        Results.Text(new JsonObject { ["Code"] = code, ["Error"] = message, ["Details"] = new JsonObject() }.ToJsonString(),
            "application/json", Encoding.UTF8, status);

    private sealed record AccountState(FakeAccount Account, byte[] Salt, byte[] HashedPassword);

    private sealed record PendingLogin(AccountState? Account, FakeSrpServer Srp);

    private sealed class SessionState(FakeAccount account)
    {
        public FakeAccount Account { get; } = account;
        public string Uid { get; init; } = "";
        public string AccessToken { get; set; } = "";
        public string RefreshToken { get; set; } = "";
        public bool AccessExpired { get; set; }
        public bool SecondFactorDone { get; set; }
        public bool Revoked { get; set; }
    }

    private sealed class Fault(int status, TimeSpan delay, int times)
    {
        public int Status { get; } = status;
        public TimeSpan Delay { get; } = delay;
        public int Remaining = times;
    }
}
