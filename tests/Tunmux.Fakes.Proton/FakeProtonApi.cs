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
/// modulus from go-srp's tests (with and without TOTP), human verification (9001), token refresh and
/// revocation, VPN account details, persistent certificates (issue, renew, list, revoke; with an
/// optional hook that receives the client's WireGuard key), and <c>/vpn/v1/logicals</c> from a JSON
/// file. Faults (status codes with <c>Retry-After</c>, delays) can be injected.
/// Sources of each behaviour: ProtonMail/go-proton-api (response.go error codes and
/// <c>Retry-After</c> on 429/503; hv.go the 9001 <c>Details</c> and the two verification headers;
/// manager_builder.go retries of a failed refresh), ProtonMail/WebClients (vpn api.ts and
/// WireGuardConfigurationSection: <c>vpn/v1/certificate</c> POST with <c>Renew</c>, <c>/all</c>
/// listing, DELETE by <c>SerialNumber</c> answering <c>Count</c>), ProtonVPN/python-proton-vpn-api-core
/// (certificate <c>Features</c> keys).
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
    private readonly ConcurrentDictionary<string, VerificationState> _verifications = new();
    private readonly ConcurrentDictionary<string, bool> _verificationRequired = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _certificateLock = new();
    private long _verificationSequence;
    private readonly List<CertificateState> _persistent = [];
    private readonly byte[] _modulus = ModulusVerifier.ReadSignedModulus(SignedModulus);
    private WebApplication? _app;

    /// <summary>The body served on <c>/vpn/v1/logicals</c> (a whole answer or a bare array).</summary>
    public byte[] LogicalsJson { get; set; } = "{\"Code\":1000,\"LogicalServers\":[]}"u8.ToArray();

    /// <summary>Program and arguments run on each certificate request; <c>{pubkey}</c>, <c>{address}</c> and <c>{device}</c> are replaced (the key is appended when there is no <c>{pubkey}</c>).</summary>
    public IReadOnlyList<string>? Hook { get; set; }

    /// <summary>"METHOD /path" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Certificate requests answered: the client's WireGuard public key (from the Ed25519 key), device name, mode, renewal and features.</summary>
    public ConcurrentQueue<IssuedCertificate> Certificates { get; } = new();

    /// <summary>The <c>x-pm-appversion</c> of every request, in order.</summary>
    public ConcurrentQueue<string> AppVersions { get; } = new();

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

    /// <summary>
    /// Answers the next <paramref name="times"/> requests to <paramref name="path"/> with
    /// <paramref name="status"/> after <paramref name="delay"/>, with a <c>Retry-After</c> header of
    /// <paramref name="retryAfterSeconds"/> when given (as Proton's 429 and 503 carry one).
    /// </summary>
    public void InjectFault(string path, int status = 503, TimeSpan? delay = null, int times = 1, int? retryAfterSeconds = null) =>
        _faults[path] = new Fault(status, delay ?? TimeSpan.Zero, times, retryAfterSeconds);

    /// <summary>Requests to <paramref name="path"/> answered with an injected fault so far.</summary>
    public int FaultsServed(string path) => _faults.TryGetValue(path, out var f) ? f.Served : 0;

    /// <summary>
    /// Makes logins of <paramref name="username"/> answer 9001 until they carry a solved token, as
    /// Proton does for command-line clients it does not trust yet.
    /// </summary>
    public void RequireHumanVerification(string username) => _verificationRequired[username] = true;

    /// <summary>The token last handed out in a 9001 answer for <paramref name="username"/>, or null.</summary>
    public string? PendingVerificationToken(string username) =>
        _verifications.Values.Where(v => v.Username.Equals(username, StringComparison.OrdinalIgnoreCase) && !v.Used)
            .OrderBy(v => v.Sequence).Select(v => v.Token).LastOrDefault();

    /// <summary>What a person does on verify.proton.me: marks the token solved.</summary>
    public void SolveHumanVerification(string token)
    {
        if (_verifications.TryGetValue(token, out var v)) v.Solved = true;
    }

    /// <summary>The account's persistent certificates still valid (not revoked).</summary>
    public IReadOnlyList<CertificateState> PersistentCertificates(string username)
    {
        lock (_certificateLock) return [.. _persistent.Where(c => c.Username.Equals(username, StringComparison.OrdinalIgnoreCase))];
    }

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
        app.MapGet("/vpn/v1/certificate/all", (Delegate)ListCertificates);
        app.MapDelete("/vpn/v1/certificate", (Delegate)RevokeCertificateAsync);
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
        AppVersions.Enqueue(http.Request.Headers["x-pm-appversion"].ToString());
        if (_faults.TryGetValue(path, out var fault) && fault.Remaining > 0)
        {
            if (Interlocked.Decrement(ref fault.Remaining) >= 0)
            {
                Interlocked.Increment(ref fault.Served);
                if (fault.Delay > TimeSpan.Zero)
                {
                    try { await Task.Delay(fault.Delay, http.RequestAborted).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                }
                http.Response.StatusCode = fault.Status;
                if (fault.RetryAfterSeconds is { } after) http.Response.Headers.RetryAfter = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
                // Proton's gateway answers 503 with an HTML page and its API answers 429 with a JSON error (go-proton-api's catchAPIError handles both).
                if (fault.Status == 429)
                {
                    http.Response.ContentType = "application/json";
                    await http.Response.WriteAsync("{\"Code\":2028,\"Error\":\"Too many recent requests\",\"Details\":{}}", http.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    await http.Response.WriteAsync(fault.Status >= 500 ? "<html>upstream error</html>" : "", http.RequestAborted).ConfigureAwait(false);
                }
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
        var username = body?["Username"]?.GetValue<string>() ?? "";
        if (HumanVerificationAnswer(http, username) is { } verify) return verify;
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

    /// <summary>
    /// 9001 for an account that must be verified, unless the request carries a solved token of the
    /// right type (<c>x-pm-human-verification-token</c>, <c>x-pm-human-verification-token-type</c>).
    /// An unsolved or spent token is answered with a new 9001, as a fresh challenge.
    /// </summary>
    private IResult? HumanVerificationAnswer(HttpContext http, string username)
    {
        if (!_verificationRequired.ContainsKey(username)) return null;
        var token = http.Request.Headers["x-pm-human-verification-token"].ToString();
        var type = http.Request.Headers["x-pm-human-verification-token-type"].ToString();
        if (_verifications.TryGetValue(token, out var v) && v.Solved && !v.Used && type == "captcha"
            && v.Username.Equals(username, StringComparison.OrdinalIgnoreCase))
        {
            v.Used = true;
            return null;
        }
        var fresh = new VerificationState(username, Token()) { Sequence = Interlocked.Increment(ref _verificationSequence) };
        _verifications[fresh.Token] = fresh;
        var details = new JsonObject
        {
            ["HumanVerificationMethods"] = new JsonArray("captcha"),
            ["HumanVerificationToken"] = fresh.Token,
        };
        return Results.Text(new JsonObject { ["Code"] = 9001, ["Error"] = "Human verification required", ["Details"] = details }.ToJsonString(),
            "application/json", Encoding.UTF8, 422);
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
        var renew = body?["Renew"] is JsonValue r && r.TryGetValue<bool>(out var rv) && rv;
        var features = body?["Features"] as JsonObject;
        var wgKey = Convert.ToBase64String(Curve25519.EdwardsToMontgomery(edKey));

        if (Hook is { Count: > 0 } hook)
        {
            var args = hook.Skip(1).Select(a => a.Replace("{pubkey}", wgKey).Replace("{address}", ClientAddress).Replace("{device}", device)).ToList();
            if (!hook.Skip(1).Any(a => a.Contains("{pubkey}", StringComparison.Ordinal))) args.Add(wgKey);
            var result = await ProcessRunner.Default.RunAsync(hook[0], args, timeout: TimeSpan.FromSeconds(60), cancellationToken: http.RequestAborted).ConfigureAwait(false);
            if (!result.Succeeded) return Error(500, 500, $"hook failed: {result.Summary}");
        }

        Certificates.Enqueue(new IssuedCertificate(wgKey, device, mode, renew, features?.ToJsonString()));
        var now = DateTimeOffset.UtcNow;
        var state = new CertificateState
        {
            Username = session.Account.Username,
            SerialNumber = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ClientKey = pem,
            Fingerprint = Convert.ToBase64String(SHA512.HashData(Convert.FromBase64String(wgKey))),
            DeviceName = device,
            Mode = mode,
            Features = features?.ToJsonString(),
            ExpirationTime = (now + CertificateLifetime).ToUnixTimeSeconds(),
            RefreshTime = (now + CertificateLifetime * 0.75).ToUnixTimeSeconds(),
        };
        if (mode == "persistent")
        {
            lock (_certificateLock)
            {
                // Renew extends the key's certificate: the account keeps one configuration for the key
                // (WebClients' "Extend"); without it every request adds another configuration.
                if (renew) _persistent.RemoveAll(c => c.Username == state.Username && c.Fingerprint == state.Fingerprint);
                _persistent.Add(state);
            }
        }
        return Ok(ToJson(state));
    }

    private IResult ListCertificates(HttpContext http)
    {
        var session = Authenticate(http);
        if (session is null) return Error(401, 401, "Invalid access token");
        var q = http.Request.Query;
        var offset = int.TryParse(q["Offset"], out var o) ? Math.Max(0, o) : 0;
        var limit = int.TryParse(q["Limit"], out var l) ? Math.Clamp(l, 1, 150) : 50;
        List<CertificateState> page;
        lock (_certificateLock)
            page = [.. _persistent.Where(c => c.Username == session.Account.Username).Skip(offset).Take(limit)];
        return Ok(new JsonObject { ["Certificates"] = new JsonArray([.. page.Select(ToJson)]) });
    }

    private async Task<IResult> RevokeCertificateAsync(HttpContext http)
    {
        var session = Authenticate(http);
        if (session is null) return Error(401, 401, "Invalid access token");
        var body = await ReadAsync(http).ConfigureAwait(false);
        var serial = body?["SerialNumber"]?.GetValue<string>() ?? "";
        int count;
        lock (_certificateLock) count = _persistent.RemoveAll(c => c.Username == session.Account.Username && c.SerialNumber == serial);
        return Ok(new JsonObject { ["Count"] = count });
    }

    private static JsonObject ToJson(CertificateState c) => new()
    {
        ["SerialNumber"] = c.SerialNumber,
        ["ClientKeyFingerprint"] = c.Fingerprint,
        ["ClientKey"] = c.ClientKey,
        ["Certificate"] = "-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n",
        ["ExpirationTime"] = c.ExpirationTime,
        ["RefreshTime"] = c.RefreshTime,
        ["Mode"] = c.Mode,
        ["DeviceName"] = c.DeviceName,
        ["ServerPublicKeyMode"] = "EC",
        ["ServerPublicKey"] = "",
        // The listing echoes the features the client sent, which WebClients sends back on "Extend".
        ["Features"] = c.Features is null ? null : JsonNode.Parse(c.Features),
    };

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

    private sealed class Fault(int status, TimeSpan delay, int times, int? retryAfterSeconds)
    {
        public int Status { get; } = status;
        public TimeSpan Delay { get; } = delay;
        public int? RetryAfterSeconds { get; } = retryAfterSeconds;
        public int Remaining = times;
        public int Served;
    }

    private sealed class VerificationState(string username, string token)
    {
        public string Username { get; } = username;
        public string Token { get; } = token;
        public long Sequence { get; init; }
        public bool Solved { get; set; }
        public bool Used { get; set; }
    }
}

/// <summary>One certificate request the fake answered.</summary>
public sealed record IssuedCertificate(string WireGuardPublicKey, string DeviceName, string Mode, bool Renew, string? FeaturesJson);

/// <summary>A persistent certificate on an account.</summary>
public sealed class CertificateState
{
    public required string Username { get; init; }
    public required string SerialNumber { get; init; }
    public required string ClientKey { get; init; }
    public required string Fingerprint { get; init; }
    public required string DeviceName { get; init; }
    public required string Mode { get; init; }
    public string? Features { get; init; }
    public long ExpirationTime { get; init; }
    public long RefreshTime { get; init; }
}
