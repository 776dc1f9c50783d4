using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Api;

/// <summary>
/// AirVPN's encrypted API (the one Eddie uses): act=user, act=manifest and act=connect, posted to
/// each bootstrap server in turn until one answers, as Eddie's <c>FetchUrls</c> does
/// (Providers/Service.cs): the URLs and RSA key of the last manifest first, the configured or
/// built-in list last, and the next URL after any failure, an answer carrying an <c>error</c>
/// attribute included; when every URL fails the first error is the one reported.
/// </summary>
internal sealed class AirApiClient(Settings settings, IProviderContext context, Func<AirManifest?> lastManifest)
{
    // Eddie identifies itself with these; the API answers clients it knows.
    private const string Software = "EddieDesktop_2.24.6";
    private const string VersionInt = "296";

    public async Task<UserAnswer> UserAsync(string username, string password, CancellationToken ct)
    {
        var xml = await RequestAsync([KeyValuePair.Create("act", "user")], username, password, ct);
        return UserParser.Parse(xml, username);
    }

    public async Task<AirManifest> ManifestAsync(string username, string password, DateTimeOffset now, CancellationToken ct)
    {
        var xml = await RequestAsync([KeyValuePair.Create("act", "manifest"), KeyValuePair.Create("ts", "0")], username, password, ct);
        return ManifestParser.Parse(xml, now, context.Log);
    }

    /// <summary>
    /// act=connect for a server before the tunnel comes up (Eddie, Session.cs: <c>parameters["act"] = "connect"</c>,
    /// <c>parameters["server"]</c>); the answer's <c>message</c> and <c>message_action</c> say whether AirVPN allows it.
    /// </summary>
    public async Task<ConnectAnswer> ConnectAsync(string username, string password, string server, CancellationToken ct)
    {
        var xml = await RequestAsync([KeyValuePair.Create("act", "connect"), KeyValuePair.Create("server", server)], username, password, ct);
        return new ConnectAnswer(xml.Attribute("message")?.Value.Trim() ?? "", xml.Attribute("message_action")?.Value.Trim().ToLowerInvariant() ?? "");
    }

    private async Task<XElement> RequestAsync(IReadOnlyList<KeyValuePair<string, string>> act, string username, string password, CancellationToken ct)
    {
        var parameters = act.Concat(
        [
            KeyValuePair.Create("login", username),
            KeyValuePair.Create("password", password),
            KeyValuePair.Create("software", Software),
            KeyValuePair.Create("version", VersionInt),
            KeyValuePair.Create("arch", Arch()),
            KeyValuePair.Create("system", "linux_" + Arch()),
        ]).ToList();

        var manifest = lastManifest();
        using var baseSealer = RequestSealer.Create(settings.RsaKeyFile);
        using var manifestSealer = RequestSealer.FromManifest(manifest, context.Log);
        var manifestUrls = ManifestUrls(manifest);
        var baseUrls = settings.ApiUrls.Where(u => !manifestUrls.Contains(u)).ToList();
        using var http = context.Http.Create(TimeSpan.FromSeconds(20), new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(8),
        });

        var failures = new List<string>();
        string? firstRefusal = null;
        var keyRefused = false;
        foreach (var url in manifestUrls.Concat(baseUrls))
        {
            var outcome = await TryAsync(http, url, manifestSealer ?? baseSealer, parameters, ct);
            if (outcome.Root is { } root) return root;
            failures.Add(outcome.Failure!);
            firstRefusal ??= outcome.Refusal;
            keyRefused |= outcome.KeyRefused;
        }
        // A manifest key that no server could read: the configured or built-in key, once more on the built-in list.
        if (manifestSealer is not null && keyRefused)
        {
            context.Log.Debug("airvpn: the API key of the cached manifest was refused; trying the configured key");
            foreach (var url in baseUrls)
            {
                var outcome = await TryAsync(http, url, baseSealer, parameters, ct);
                if (outcome.Root is { } root) return root;
                firstRefusal ??= outcome.Refusal;
            }
        }
        if (firstRefusal is not null) throw new ProviderException($"airvpn: the API refused the request: {firstRefusal}");
        throw new ProviderException(
            $"airvpn: no bootstrap server answered ({string.Join("; ", failures)}); check the network, api_urls and rsa_key_file");
    }

    /// <summary>What one bootstrap server did with the request.</summary>
    private sealed record Outcome(XElement? Root, string? Failure, string? Refusal = null, bool KeyRefused = false);

    private async Task<Outcome> TryAsync(HttpClient http, Uri url, RequestSealer sealer, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        // A fresh AES session per attempt, as Eddie does per request.
        var sealedRequest = sealer.Seal(parameters);
        try
        {
            using var form = new FormUrlEncodedContent([KeyValuePair.Create("s", sealedRequest.S), KeyValuePair.Create("d", sealedRequest.D)]);
            using var response = await http.PostAsync(url, form, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                context.Log.Debug("airvpn bootstrap {Url} answered HTTP {Status}", url, (int)response.StatusCode);
                return new Outcome(null, $"{url.Authority}: HTTP {(int)response.StatusCode}", KeyRefused: response.StatusCode == HttpStatusCode.Forbidden);
            }
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            var root = XDocument.Parse(Encoding.UTF8.GetString(sealedRequest.Open(body))).Root
                ?? throw new XmlException("empty document");
            if (root.Attribute("error")?.Value is { Length: > 0 } error)
            {
                context.Log.Debug("airvpn bootstrap {Url} refused the request: {Error}", url, error);
                return new Outcome(null, $"{url.Authority}: {error}", Refusal: error);
            }
            return new Outcome(root, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            context.Log.Debug("airvpn bootstrap {Url} failed: {Error}", url, e.Message);
            return new Outcome(null, $"{url.Authority}: {e.Message}");
        }
        catch (Exception e) when (e is CryptographicException or XmlException)
        {
            context.Log.Debug("airvpn bootstrap {Url} gave an unreadable answer: {Error}", url, e.Message);
            return new Outcome(null, $"{url.Authority}: unreadable answer ({e.GetType().Name})", KeyRefused: true);
        }
    }

    /// <summary>The bootstrap URLs of the last manifest, in its order; malformed ones are skipped.</summary>
    private static List<Uri> ManifestUrls(AirManifest? manifest)
    {
        var urls = new List<Uri>();
        foreach (var text in manifest?.BootstrapUrls ?? [])
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !urls.Contains(uri))
                urls.Add(uri);
        return urls;
    }

    private static string Arch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x64",
        Architecture.X86 => "x86",
        Architecture.Arm64 => "arm64",
        var a => a.ToString().ToLowerInvariant(),
    };

    internal static long? Long(XElement e, string name) =>
        long.TryParse(e.Attribute(name)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}

/// <summary>The answer to act=connect: a message when AirVPN objects, and what to do about it (<c>stop</c>, <c>next</c>, or retry).</summary>
internal sealed record ConnectAnswer(string Message, string Action)
{
    public bool Allowed => Message.Length == 0;
}

/// <summary>The useful part of an act=user answer.</summary>
internal sealed record UserAnswer(string Username, string WgPublicKey, long? ExpiresAt, IReadOnlyList<AirKey> Keys);

internal static class UserParser
{
    public static UserAnswer Parse(XElement root, string username)
    {
        // Refusals come as a message on the user element (wrong password, expired, blocked).
        if (root.Attribute("message")?.Value is { Length: > 0 } message)
            throw new ProviderException(Classify(message, username));
        if (root.Attribute("login") is null)
            throw new ProviderException($"airvpn: login as '{username}' failed: the API did not accept the credentials; check the user name and password");

        var expires = AirApiClient.Long(root, "expirationdate");
        if (expires is > 0 && DateTimeOffset.FromUnixTimeSeconds(expires.Value) < DateTimeOffset.UtcNow)
            throw new ProviderException(ExpiredMessage(username, expires.Value));

        var keys = root.Descendants("key").Select(k => new AirKey
        {
            Name = k.Attribute("name")?.Value ?? "Default",
            WgPrivateKey = k.Attribute("wg_private_key")?.Value ?? "",
            WgIpv4 = k.Attribute("wg_ipv4")?.Value ?? "",
            WgIpv6 = k.Attribute("wg_ipv6")?.Value ?? "",
            WgDnsIpv4 = k.Attribute("wg_dns_ipv4")?.Value ?? "",
            WgDnsIpv6 = k.Attribute("wg_dns_ipv6")?.Value ?? "",
            WgPreshared = k.Attribute("wg_preshared")?.Value ?? "",
        }).ToList();

        return new UserAnswer(root.Attribute("login")!.Value, root.Attribute("wg_public_key")?.Value ?? "", expires, keys);
    }

    public static string ExpiredMessage(string username, long expires) =>
        $"airvpn: the account '{username}' expired on {DateTimeOffset.FromUnixTimeSeconds(expires):yyyy-MM-dd}; renew the subscription at airvpn.org, then log in again";

    private static string Classify(string message, string username)
    {
        var m = message.Trim().TrimEnd('.');
        if (m.Contains("expired", StringComparison.OrdinalIgnoreCase) || m.Contains("not active", StringComparison.OrdinalIgnoreCase))
            return $"airvpn: the account '{username}' is not active ({m}); renew the subscription at airvpn.org";
        if (m.Contains("password", StringComparison.OrdinalIgnoreCase) || m.Contains("credentials", StringComparison.OrdinalIgnoreCase))
            return $"airvpn: login as '{username}' refused: {m}; check the user name and password";
        return $"airvpn: the API refused '{username}': {m}";
    }
}

internal static class ManifestParser
{
    public static AirManifest Parse(XElement root, DateTimeOffset now, IPluginLogger log)
    {
        // Servers inherit missing attributes from their servers_group (Eddie's XmlGetServerAttribute).
        var groups = root.Descendants("servers_group")
            .Where(g => g.Attribute("group") is not null)
            .GroupBy(g => g.Attribute("group")!.Value)
            .ToDictionary(g => g.Key, g => g.First());

        var servers = new List<AirServer>();
        foreach (var s in root.Descendants("server").Where(s => s.Parent?.Name == "servers"))
        {
            var group = s.Attribute("group") is { } gname && groups.TryGetValue(gname.Value, out var g) ? g : null;
            string Str(string n, string def = "") => s.Attribute(n)?.Value ?? group?.Attribute(n)?.Value ?? def;
            long Num(string n, long def) => long.TryParse(Str(n), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : def;
            IReadOnlyList<string> List(string n) => Str(n).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

            servers.Add(new AirServer
            {
                Name = Str("name"),
                IpsEntry = List("ips_entry"),
                IpsExit = List("ips_exit"),
                CountryCode = Str("country_code").ToLowerInvariant(),
                Location = Str("location"),
                ScoreBase = Num("scorebase", 0),
                Bandwidth = Num("bw", 0),
                BandwidthMax = Num("bw_max", 1),
                Users = Num("users", 0),
                UsersMax = Num("users_max", 100),
                WarningClosed = Str("warning_closed"),
                WgPublicKey = Str("wg_public_key"),
            });
        }

        var modes = root.Descendants("mode").Select(m => new AirMode
        {
            Type = (m.Attribute("type")?.Value ?? "").ToLowerInvariant(),
            Protocol = (m.Attribute("protocol")?.Value ?? "UDP").ToUpperInvariant(),
            Port = (int)(AirApiClient.Long(m, "port") ?? 0),
            EntryIndex = (int)Math.Clamp(AirApiClient.Long(m, "entry_index") ?? 0, 0, 16),
            Transport = Transport(m.Attribute("transport")?.Value),
        }).Where(m => m.Port is > 0 and <= 65535 && m.Type is "wireguard" or "openvpn").ToList();

        var nextUpdate = AirApiClient.Long(root, "next_update");
        return new AirManifest
        {
            Servers = servers.Where(s => s.Name.Length > 0).ToList(),
            Modes = modes,
            FetchedAt = now.ToUnixTimeSeconds(),
            NextUpdateMinutes = nextUpdate is > 0 ? (int)Math.Min(nextUpdate.Value, 7 * 24 * 60) : null,
            BootstrapUrls = root.Descendants("urls").Descendants("url").Select(u => u.Attribute("address")?.Value ?? "")
                .Where(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https").Distinct().Take(32).ToList(),
            RsaModulus = ValidKey(root, log) ? root.Attribute("auth_rsa_modulus")!.Value : "",
            RsaExponent = ValidKey(root, log) ? root.Attribute("auth_rsa_exponent")!.Value : "",
        };
    }

    private static string Transport(string? value) => value?.ToUpperInvariant() is "SSH" or "SSL" ? value.ToUpperInvariant() : "";

    /// <summary>The manifest's API key is used only when it is a plausible RSA key (2048 to 8192 bits).</summary>
    private static bool ValidKey(XElement root, IPluginLogger log)
    {
        var modulus = root.Attribute("auth_rsa_modulus")?.Value;
        var exponent = root.Attribute("auth_rsa_exponent")?.Value;
        if (string.IsNullOrEmpty(modulus) || string.IsNullOrEmpty(exponent)) return false;
        var m = new byte[1025];
        var e = new byte[9];
        if (Convert.TryFromBase64String(modulus, m, out var mLength) && mLength is >= 256 and <= 1024
            && Convert.TryFromBase64String(exponent, e, out var eLength) && eLength is > 0 and <= 8)
            return true;
        log.Debug("airvpn: ignoring a malformed API key in the manifest");
        return false;
    }
}
