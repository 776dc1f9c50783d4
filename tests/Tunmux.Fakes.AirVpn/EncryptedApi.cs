using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace Tunmux.Fakes.AirVpn;

/// <summary>
/// The encrypted bootstrap API as Eddie speaks to it (Providers/Service.cs <c>FetchUrl</c>): POST s
/// (RSA-PKCS#1 v1.5 of the AES key and IV) and d (AES-256-CBC of the parameters); answers XML
/// encrypted with the same AES session. A request it cannot open is refused with 403. act=user,
/// act=manifest (with the bootstrap <c>urls</c>, the <c>auth_rsa_*</c> key and <c>next_update</c> that
/// Eddie reads) and act=connect (Session.cs: <c>message</c>, <c>message_action</c>).
/// </summary>
internal sealed class EncryptedApi(FakeState state, Func<IReadOnlyList<RSA>> keys, KeyHook hook)
{
    public async Task HandleAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType) { http.Response.StatusCode = 400; return; }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);

        byte[] key, iv;
        Dictionary<string, string> p;
        try
        {
            var session = Open(Convert.FromBase64String(form["s"].ToString()));
            key = session["key"];
            iv = session["iv"];
            if (key.Length != 32 || iv.Length != 16) throw new CryptographicException("bad session key size");
            using var aes = Aes.Create();
            aes.Key = key;
            var plain = aes.DecryptCbc(Convert.FromBase64String(form["d"].ToString()), iv, PaddingMode.PKCS7);
            p = Assoc.Decode(plain).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or KeyNotFoundException or ArgumentException)
        {
            // With OpenSSL's implicit rejection a wrong key yields garbage rather than an error; both end here.
            Interlocked.Increment(ref state.ApiRefused);
            http.Response.StatusCode = 403;
            await http.Response.WriteAsync("request not readable with this server's key", http.RequestAborted);
            return;
        }
        Interlocked.Increment(ref state.ApiRequests);
        lock (state.Lock)
        {
            state.Acts.Add(p.GetValueOrDefault("act") ?? "");
            state.AnsweredOnPort[http.Connection.LocalPort] = state.AnsweredOnPort.GetValueOrDefault(http.Connection.LocalPort) + 1;
        }

        var answer = p.GetValueOrDefault("act") switch
        {
            "user" => await UserAsync(p, http.RequestAborted),
            "manifest" => Manifest(p),
            "connect" => Connect(p),
            var act => new XElement("error", new XAttribute("error", $"Unknown act '{act}'")),
        };

        using var enc = Aes.Create();
        enc.Key = key;
        var body = enc.EncryptCbc(Encoding.UTF8.GetBytes(answer.ToString(SaveOptions.DisableFormatting)), iv, PaddingMode.PKCS7);
        http.Response.ContentType = "application/octet-stream";
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>Opens the session key with the current key or, during a rotation, with the previous one.</summary>
    private Dictionary<string, byte[]> Open(byte[] sealedKey)
    {
        CryptographicException? last = null;
        foreach (var rsa in keys())
        {
            try
            {
                var session = Assoc.Decode(rsa.Decrypt(sealedKey, RSAEncryptionPadding.Pkcs1));
                if (session.TryGetValue("key", out var k) && k.Length == 32 && session.TryGetValue("iv", out var iv) && iv.Length == 16) return session;
            }
            catch (CryptographicException e) { last = e; }
            // With OpenSSL's implicit rejection a wrong key yields random bytes rather than an error.
            catch (Exception e) when (e is FormatException or ArgumentException or KeyNotFoundException) { }
        }
        throw last ?? new CryptographicException("no key opens the request");
    }

    private XElement Connect(Dictionary<string, string> p)
    {
        var account = Authenticate(p);
        if (account is null) return new XElement("connect", new XAttribute("error", "Wrong username or password."));
        var server = p.GetValueOrDefault("server") ?? "";
        lock (state.Lock)
        {
            if (state.ConnectBroken) return new XElement("connect", new XAttribute("error", "Internal error, retry later."));
            state.Connects.Add(server);
            if (state.TurnedAway.Contains(server))
                return new XElement("connect", new XAttribute("message", "Server full"), new XAttribute("message_action", "next"));
            if (state.ConnectRefusal is { } refusal)
                return new XElement("connect", new XAttribute("message", refusal.Message), new XAttribute("message_action", refusal.Action));
        }
        return new XElement("connect");
    }

    private FakeAccount? Authenticate(Dictionary<string, string> p)
    {
        lock (state.Lock)
        {
            var account = state.Find(p.GetValueOrDefault("login") ?? "");
            return account is not null && account.Password == p.GetValueOrDefault("password") ? account : null;
        }
    }

    private async Task<XElement> UserAsync(Dictionary<string, string> p, CancellationToken ct)
    {
        var account = Authenticate(p);
        // Eddie shows any "message" on the user element as the reason the login failed.
        if (account is null) return new XElement("user", new XAttribute("message", "Wrong username or password."));
        if (account.ExpiresAt < DateTimeOffset.UtcNow.ToUnixTimeSeconds())
            return new XElement("user", new XAttribute("message", "Your account has expired. Renew your plan to continue."));

        List<FakeDevice> devices;
        lock (state.Lock) devices = [.. account.Devices];
        foreach (var d in devices) await hook.KeyUsedAsync(d, ct);

        var catalog = state.Catalog;
        return new XElement("user",
            new XAttribute("login", account.Username),
            new XAttribute("expirationdate", account.ExpiresAt.ToString(CultureInfo.InvariantCulture)),
            new XAttribute("wg_public_key", catalog.WgPublicKey),
            new XElement("keys", devices.Select(d => new XElement("key",
                new XAttribute("id", d.Id),
                new XAttribute("name", d.Name),
                new XAttribute("wg_private_key", d.PrivateKey),
                new XAttribute("wg_ipv4", d.Ipv4),
                new XAttribute("wg_ipv6", d.Ipv6),
                new XAttribute("wg_dns_ipv4", catalog.DnsIpv4),
                new XAttribute("wg_dns_ipv6", catalog.DnsIpv6),
                new XAttribute("wg_preshared", d.Preshared)))));
    }

    private XElement Manifest(Dictionary<string, string> p)
    {
        if (Authenticate(p) is null) return new XElement("manifest", new XAttribute("error", "Wrong username or password."));
        var c = state.Catalog;
        var announced = keys()[0].ExportParameters(false);
        List<string> urls;
        int? nextUpdate;
        lock (state.Lock) (urls, nextUpdate) = ([.. state.AnnouncedUrls], state.NextUpdateMinutes);
        return new XElement("manifest",
            new XAttribute("time", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            nextUpdate is { } minutes ? new XAttribute("next_update", minutes.ToString(CultureInfo.InvariantCulture)) : null,
            new XAttribute("auth_rsa_modulus", Convert.ToBase64String(announced.Modulus!)),
            new XAttribute("auth_rsa_exponent", Convert.ToBase64String(announced.Exponent!)),
            new XElement("servers_groups"),
            new XElement("servers", c.Servers.Select(s => new XElement("server",
                new XAttribute("name", s.Name),
                new XAttribute("country_code", s.CountryCode),
                new XAttribute("location", s.Location),
                new XAttribute("ips_entry", string.Join(",", s.IpsEntry)),
                new XAttribute("ips_exit", string.Join(",", s.IpsExit.Count > 0 ? s.IpsExit : s.IpsEntry)),
                new XAttribute("bw", s.Bw), new XAttribute("bw_max", s.BwMax),
                new XAttribute("users", s.Users), new XAttribute("users_max", s.UsersMax),
                new XAttribute("scorebase", s.ScoreBase),
                new XAttribute("support_ipv4", "true"), new XAttribute("support_ipv6", c.AddressPoolV6.Length > 0 ? "true" : "false"),
                s.WarningClosed.Length > 0 ? new XAttribute("warning_closed", s.WarningClosed) : null,
                s.WgPublicKey.Length > 0 ? new XAttribute("wg_public_key", s.WgPublicKey) : null))),
            new XElement("modes", c.EffectiveModes.Select(m => new XElement("mode",
                new XAttribute("title", $"{m.Type} {m.Protocol} {m.Port}"),
                new XAttribute("type", m.Type), new XAttribute("protocol", m.Protocol),
                new XAttribute("port", m.Port), new XAttribute("entry_index", m.EntryIndex),
                m.Transport.Length > 0 ? new XAttribute("transport", m.Transport) : null))),
            new XElement("urls", urls.Select(u => new XElement("url", new XAttribute("address", u)))));
    }
}
