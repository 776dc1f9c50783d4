using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tunmux.Fakes.AirVpn;

/// <summary>
/// The airvpn.org pages the client uses: an entry gate (af3 cookie), the login form with its csrfKey,
/// session cookies, and the ports / devices / apisettings / sessions pages, each with its own ecsrf
/// token for AJAX posts (render=ajax). Plus the REST config generator authenticated by API key.
/// </summary>
internal sealed class WebSite(FakeState state, KeyHook hook)
{
    public const string SessionCookie = "ips4_IPSSessionFront";
    private const string GuestCookie = "ips4_guest";
    private static readonly string[] Pages = ["ports", "devices", "apisettings", "sessions"];

    private readonly Dictionary<string, WebSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _guestCsrf = new(StringComparer.Ordinal);
    private readonly HashSet<string> _gateIds = [];

    private sealed class WebSession(string username)
    {
        public string Username { get; } = username;
        public Dictionary<string, string> Ecsrf { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Forgets every web session, as the site does when cookies expire.</summary>
    public void ExpireSessions()
    {
        lock (state.Lock) _sessions.Clear();
    }

    /// <summary>Issues new page tokens to every session, as the site does from time to time.</summary>
    public void RotateTokens()
    {
        lock (state.Lock)
            foreach (var s in _sessions.Values) s.Ecsrf.Clear();
    }

    public static long Af3(string id)
    {
        long r = 0;
        foreach (var ch in id)
        {
            var v = (long)ch * ch * 30;
            r = r % v + v + 18;
        }
        return r;
    }

    public Task Home(HttpContext http) => Html(http, "<html><body><h1>AirVPN</h1></body></html>");

    public Task Entry(HttpContext http) => Html(http, "<html><body><script src=\"/entry/index.js\"></script></body></html>");

    public Task LoginPage(HttpContext http)
    {
        lock (state.Lock)
        {
            // The entry gate: a browser without a valid af3 cookie is sent through /entry/ first.
            if (!(http.Request.Cookies.TryGetValue("af3", out var af3) && _gateIds.Any(id => Af3(id).ToString(CultureInfo.InvariantCulture) == af3)))
            {
                var id = Token(8);
                _gateIds.Add(id);
                http.Response.Redirect($"/entry/?aek_id={id}&aek_url={WebUtility.UrlEncode("/login/")}");
                return Task.CompletedTask;
            }
            if (!http.Request.Cookies.TryGetValue(GuestCookie, out var guest) || !_guestCsrf.ContainsKey(guest))
            {
                guest = Token(16);
                http.Response.Cookies.Append(GuestCookie, guest, new CookieOptions { Path = "/", HttpOnly = true });
            }
            var csrf = Token(16);
            _guestCsrf[guest] = csrf;
            return Html(http, $"""
                <html><body><form method="post" action="/login/">
                <input type="hidden" name="csrfKey" value="{csrf}">
                <input type="hidden" name="ref" value="aHR0cHM6Ly9haXJ2cG4ub3JnLw==">
                <input type="text" name="auth"><input type="password" name="password">
                <input type="checkbox" name="remember_me" value="1">
                <button type="submit" name="_processLogin" value="usernamepassword">Sign in</button>
                </form></body></html>
                """);
        }
    }

    public async Task LoginPost(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? page = null;
        lock (state.Lock)
        {
            var account = state.Find(form["auth"].ToString());
            if (!http.Request.Cookies.TryGetValue(GuestCookie, out var guest) || !_guestCsrf.TryGetValue(guest, out var csrf) || csrf != form["csrfKey"])
                page = "The security key was invalid. Please try again.";
            else if (account is null || account.Password != form["password"])
                page = "The password you entered is incorrect. Please try again.";
            else if (account.WebLocked)
                page = "Your account is locked because of too many failed login attempts. Please try again later.";
            else
            {
                _guestCsrf.Remove(guest);
                var sid = Token(24);
                _sessions[sid] = new WebSession(account.Username);
                state.WebLogins++;
                http.Response.Cookies.Append(SessionCookie, sid, new CookieOptions { Path = "/", HttpOnly = true, Expires = DateTimeOffset.UtcNow.AddDays(30) });
                http.Response.Cookies.Append("ips4_member_id", state.Accounts.IndexOf(account).ToString(CultureInfo.InvariantCulture), new CookieOptions { Path = "/" });
                http.Response.Redirect("/");
                return;
            }
        }
        await Html(http, $"<html><body><div class=\"ipsMessage ipsMessage_error\">{WebUtility.HtmlEncode(page)}</div></body></html>");
    }

    public Task Page(HttpContext http, string name)
    {
        if (!Pages.Contains(name)) { http.Response.StatusCode = 404; return Task.CompletedTask; }
        string token;
        lock (state.Lock)
        {
            if (SessionOf(http) is not { } session)
            {
                http.Response.Redirect($"/login/?ref={WebUtility.UrlEncode("/" + name + "/")}");
                return Task.CompletedTask;
            }
            if (!session.Ecsrf.TryGetValue(name, out token!)) session.Ecsrf[name] = token = Token(16);
        }
        var data = WebUtility.HtmlEncode(JsonSerializer.Serialize(new Dictionary<string, string> { ["ecsrf"] = token, ["page"] = name }));
        return Html(http, $"<html><body><div id=\"eui_data\" data-json=\"{data}\"></div><div id=\"{name}_app\"></div></body></html>");
    }

    public async Task Ajax(HttpContext http, string name)
    {
        if (!Pages.Contains(name)) { http.Response.StatusCode = 404; return; }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        FakeAccount? account = null;
        var expired = false;
        lock (state.Lock)
        {
            if (SessionOf(http) is not { } session) expired = true;
            else if (form["render"] == "ajax" && session.Ecsrf.TryGetValue(name, out var token) && token == form["ecsrf"])
                account = state.Find(session.Username);
        }
        if (expired)
        {
            http.Response.Redirect("/login/");
            return;
        }
        if (account is null)
        {
            await Json(http, new { Error = "Invalid CSRF Token" });
            return;
        }
        var action = form["action"].ToString();
        object answer = name switch
        {
            "ports" => Ports(account, action, form),
            "devices" => await DevicesAsync(account, action, form, http.RequestAborted),
            "apisettings" => ApiKeys(account, action, form),
            _ => Sessions(account, action),
        };
        await Json(http, answer);
    }

    private object Ports(FakeAccount account, string action, IFormCollection f)
    {
        lock (state.Lock)
        {
            int.TryParse(f["port"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var number);
            var port = account.Ports.FirstOrDefault(p => p.Port == number);
            switch (action)
            {
                case "manifest":
                    return new
                    {
                        Ports = account.Ports.Select(p => new { p.Port, p.Pool, p.Protocol, Local = p.Local == 0 ? "" : p.Local.ToString(CultureInfo.InvariantCulture), p.Enabled, p.Device, p.Dns }),
                        Keys = account.Devices.Select(d => new { d.Id, d.Name }),
                    };
                case "insert":
                    // Port 0 asks airvpn.org to pick a free port (the original tool's "0 = auto-assign").
                    if (number == 0) number = Enumerable.Range(40000, 20000).First(n => !state.Accounts.Any(a => a.Ports.Any(p => p.Port == n)));
                    if (number is < 1024 or > 65535) return new { Error = "Port out of the allowed range." };
                    if (state.Accounts.Any(a => a.Ports.Any(p => p.Port == number))) return new { Error = "Port not available." };
                    if (account.Ports.Count >= 20) return new { Error = "Maximum number of forwarded ports reached." };
                    account.Ports.Add(new FakePort { Port = number, Pool = 1 });
                    return new { Port = number };
                case "sessions" when port is not null:
                    return new
                    {
                        Items = account.Sessions.SelectMany(s => Protocols(port).Select(proto => new
                        {
                            port.Pool, Protocol = proto, Iplayer = "ipv4", s.ServerName,
                            ServerCountry = state.Server(s.ServerName)?.CountryCode ?? "", ServerLocation = state.Server(s.ServerName)?.Location ?? "",
                            s.ServerIp, ClientIp = s.VpnIpv4, s.DeviceName, Local = port.Local, DnsName = port.Dns,
                        })),
                    };
                case "test" when port is not null:
                    return new { Message = $"<b>Connection successful</b> to port {port.Port} ({f["protocol"]}) on {f["ip"]}." };
                case "edit_protocol" when port is not null:
                    var value = f["value"].ToString();
                    if (value is not ("tcp" or "udp" or "tcp_udp")) return new { Error = "Invalid protocol." };
                    port.Protocol = value;
                    return Array.Empty<object>();
                case "edit_localport" when port is not null:
                    port.Local = int.TryParse(f["value"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l is >= 1 and <= 65535 ? l : 0;
                    return Array.Empty<object>();
                case "edit_ddns" when port is not null:
                    port.Dns = f["value"].ToString();
                    return Array.Empty<object>();
                case "delete" when port is not null:
                    account.Ports.Remove(port);
                    return new { };
                default:
                    return new { Error = port is null && action != "manifest" ? "Port not found." : "Unknown action." };
            }
        }
    }

    private static IEnumerable<string> Protocols(FakePort p) => p.Protocol == "tcp_udp" ? ["tcp", "udp"] : [p.Protocol];

    private async Task<object> DevicesAsync(FakeAccount account, string action, IFormCollection f, CancellationToken ct)
    {
        FakeDevice? created = null;
        object answer;
        lock (state.Lock)
        {
            var device = account.Devices.FirstOrDefault(d => d.Id == f["id"]);
            switch (action)
            {
                case "manifest":
                    answer = new { Keys = account.Devices.Select(d => new { d.Id, d.Name, WgPublicKey = d.PublicKey, WgIpv4 = d.Ipv4, WgIpv6 = d.Ipv6 }) };
                    break;
                case "add":
                    created = state.NewDevice("New device");
                    account.Devices.Add(created);
                    answer = Array.Empty<object>();
                    break;
                case "edit_name" when device is not null:
                    device.Name = f["value"].ToString();
                    answer = Array.Empty<object>();
                    break;
                case "delete" when device is not null:
                    account.Devices.Remove(device);
                    answer = Array.Empty<object>();
                    break;
                default:
                    answer = new { Error = "Device not found." };
                    break;
            }
        }
        if (created is not null) await hook.KeyUsedAsync(created, ct);
        return answer;
    }

    private object ApiKeys(FakeAccount account, string action, IFormCollection f)
    {
        lock (state.Lock)
        {
            var key = account.ApiKeys.FirstOrDefault(k => k.Id == f["id"]);
            switch (action)
            {
                case "manifest":
                    return new { Keys = account.ApiKeys.Select(k => new { k.Id, k.Name, k.Secret, SecretShort = k.Secret[..6] + "...", k.CreationDate }) };
                case "add":
                    account.ApiKeys.Add(new FakeApiKey { Id = state.NextId(), Name = "Default", Secret = Token(20), CreationDate = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });
                    return Array.Empty<object>();
                case "edit_name" when key is not null:
                    key.Name = f["value"].ToString();
                    return Array.Empty<object>();
                case "delete" when key is not null:
                    account.ApiKeys.Remove(key);
                    return Array.Empty<object>();
                default:
                    return new { Error = "Key not found." };
            }
        }
    }

    private object Sessions(FakeAccount account, string action)
    {
        lock (state.Lock)
        {
            if (action != "manifest") return new { Error = "Unknown action." };
            return new
            {
                Sessions = account.Sessions.Select(s =>
                {
                    var server = state.Server(s.ServerName);
                    return new
                    {
                        s.DeviceName,
                        ServerHtml = $"<div class=\"air_card_server_info\"><div class=\"air_card_server_info_name2\"><a href=\"/servers/{s.ServerName}/\">{s.ServerName}</a></div>"
                            + $"<div class=\"air_card_server_info_location\"><div>{server?.Location}</div><div>{server?.CountryCode}</div></div></div>",
                        s.ConnectedSince, s.BytesWrite, s.BytesRead, SpeedWrite = 120, SpeedRead = 2400,
                        SoftwareName = "WireGuard", ExitIpv4 = s.ExitIpv4, ExitIpv6 = "", VpnIpv4 = s.VpnIpv4, VpnIpv6 = "",
                        EntryLayer = "IPv4", DnsFilter = "None",
                    };
                }),
                Message = $"<b>{account.Sessions.Count}</b> active session(s)",
            };
        }
    }

    /// <summary>POST /api/generator/ with an api-key header: one WireGuard or OpenVPN config.</summary>
    public async Task Generator(HttpContext http)
    {
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        string Field(string n) => form?[n].ToString() is { Length: > 0 } v ? v : http.Request.Query[n].ToString();

        FakeAccount? account;
        lock (state.Lock)
        {
            var apiKey = http.Request.Headers["api-key"].ToString();
            account = state.Accounts.FirstOrDefault(a => a.ApiKeys.Any(k => k.Secret == apiKey));
            state.GeneratorCalls++;
        }
        if (account is null)
        {
            http.Response.StatusCode = 401;
            await Json(http, new { Error = "API key not valid." });
            return;
        }

        var protocol = Field("protocols").Split('_');
        if (protocol.Length != 4 || protocol[0] is not ("wireguard" or "openvpn") || !int.TryParse(protocol[3], out var port))
        {
            await Json(http, new { Result = "Invalid protocol." });
            return;
        }
        FakeDevice? device;
        CatalogServer? server;
        lock (state.Lock)
        {
            server = state.Server(Field("servers"));
            device = account.Devices.FirstOrDefault(d => string.Equals(d.Name, Field("device"), StringComparison.OrdinalIgnoreCase)) ?? account.Devices.FirstOrDefault();
        }
        if (server is null || device is null)
        {
            await Json(http, new { Result = server is null ? "Unknown server or country." : "No device." });
            return;
        }
        await hook.KeyUsedAsync(device, http.RequestAborted);

        // iplayer_entry picks the family of the entry address, iplayer_exit what the tunnel carries (the original tool's --entry/--exit).
        var entryV6 = Field("iplayer_entry") == "ipv6";
        var exit = Field("iplayer_exit") is { Length: > 0 } x ? x : "both";
        var ip = server.IpsEntry.FirstOrDefault(a => a.Contains(':') == entryV6) ?? server.IpsEntry.FirstOrDefault() ?? "";
        if (ip.Contains(':')) ip = $"[{ip}]";
        var c = state.Catalog;
        var mtu = Field("wireguard_mtu") is { Length: > 0 } m ? m : "1320";
        var keepalive = Field("wireguard_persistent_keepalive") is { Length: > 0 } ka ? ka : "15";
        lock (state.Lock) state.GeneratorRequests.Add(Field("protocols") + " " + Field("servers") + " entry=" + Field("iplayer_entry") + " exit=" + exit);
        if (protocol[2] is "ssh" or "ssl")
        {
            // Modes that need more than one file come as a package: the OpenVPN profile and what the tunnel needs beside it.
            using var package = new MemoryStream();
            using (var zip = new System.IO.Compression.ZipArchive(package, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            {
                void Add(string name, string content)
                {
                    using var w = new StreamWriter(zip.CreateEntry(name).Open());
                    w.Write(content);
                }
                Add($"AirVPN_{server.Name}_{protocol[2]}.ovpn", OpenVpnFile());
                if (protocol[2] == "ssl") Add("stunnel.ssl", $"[openvpn]\nconnect = {ip}:{port}\n");
                else Add("sshtunnel.key", "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZQ==\n-----END OPENSSH PRIVATE KEY-----\n");
            }
            http.Response.ContentType = "application/zip";
            await http.Response.Body.WriteAsync(package.ToArray(), http.RequestAborted);
            return;
        }
        var text = protocol[0] == "wireguard" ? WireGuardFile() : OpenVpnFile();
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(text, http.RequestAborted);

        string WireGuardFile()
        {
            var sb = new StringBuilder()
                .Append($"# AirVPN configuration for {server.Name} ({server.Location}, {server.CountryCode.ToUpperInvariant()}), device {device.Name}\n")
                .Append("[Interface]\n")
                .Append($"Address = {string.Join(", ", new[] { exit == "ipv6" ? "" : device.Ipv4, exit == "ipv4" ? "" : device.Ipv6 }.Where(a => a.Length > 0))}\n")
                .Append($"PrivateKey = {device.PrivateKey}\n")
                .Append($"MTU = {mtu}\n")
                .Append($"DNS = {string.Join(", ", new[] { c.DnsIpv4, c.DnsIpv6 }.Where(a => a.Length > 0))}\n")
                .Append("\n[Peer]\n")
                .Append($"PublicKey = {state.ServerKey(server)}\n");
            if (device.Preshared.Length > 0) sb.Append($"PresharedKey = {device.Preshared}\n");
            return sb.Append($"Endpoint = {ip}:{port}\n")
                .Append($"AllowedIPs = {exit switch { "ipv4" => "0.0.0.0/0", "ipv6" => "::/0", _ => device.Ipv6.Length > 0 ? "0.0.0.0/0, ::/0" : "0.0.0.0/0" }}\n")
                .Append($"PersistentKeepalive = {keepalive}\n")
                .ToString();
        }

        string OpenVpnFile() => $"""
            # AirVPN configuration for {server.Name}, device {device.Name}
            client
            dev tun
            remote {ip} {port}
            proto {protocol[2]}
            resolv-retry infinite
            nobind
            persist-key
            persist-tun
            auth-nocache
            verb 3
            <ca>
            -----BEGIN CERTIFICATE-----
            {Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(server.Name)))}
            -----END CERTIFICATE-----
            </ca>

            """;
    }

    private WebSession? SessionOf(HttpContext http) =>
        http.Request.Cookies.TryGetValue(SessionCookie, out var sid) && _sessions.TryGetValue(sid, out var s) ? s : null;

    private static string Token(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    private static Task Html(HttpContext http, string html)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync(html);
    }

    private static Task Json(HttpContext http, object value)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(value, Catalog.Json));
    }
}
