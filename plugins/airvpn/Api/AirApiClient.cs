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
/// AirVPN's encrypted API (the one Eddie uses): act=user and act=manifest, posted to each
/// bootstrap server in turn until one answers.
/// </summary>
internal sealed class AirApiClient(Settings settings, IProviderContext context)
{
    // Eddie identifies itself with these; the API answers clients it knows.
    private const string Software = "EddieDesktop_2.24.6";
    private const string VersionInt = "296";

    public async Task<UserAnswer> UserAsync(string username, string password, CancellationToken ct)
    {
        var xml = await RequestAsync([KeyValuePair.Create("act", "user")], username, password, ct);
        return UserParser.Parse(xml, username);
    }

    public async Task<AirManifest> ManifestAsync(string username, string password, CancellationToken ct)
    {
        var xml = await RequestAsync([KeyValuePair.Create("act", "manifest"), KeyValuePair.Create("ts", "0")], username, password, ct);
        return ManifestParser.Parse(xml);
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

        using var sealer = RequestSealer.Create(settings.RsaKeyFile);
        using var http = context.Http.Create(TimeSpan.FromSeconds(20), new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(8),
        });

        var failures = new List<string>();
        foreach (var url in settings.ApiUrls)
        {
            // A fresh AES session per attempt, as Eddie does per request.
            var sealedRequest = sealer.Seal(parameters);
            try
            {
                using var form = new FormUrlEncodedContent([KeyValuePair.Create("s", sealedRequest.S), KeyValuePair.Create("d", sealedRequest.D)]);
                using var response = await http.PostAsync(url, form, ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{url.Authority}: HTTP {(int)response.StatusCode}");
                    context.Log.Debug("airvpn bootstrap {Url} answered HTTP {Status}", url, (int)response.StatusCode);
                    continue;
                }
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                var root = XDocument.Parse(Encoding.UTF8.GetString(sealedRequest.Open(body))).Root
                    ?? throw new XmlException("empty document");
                if (root.Attribute("error")?.Value is { Length: > 0 } error)
                    throw new ProviderException($"airvpn: the API refused the request: {error}");
                return root;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                failures.Add($"{url.Authority}: {e.Message}");
                context.Log.Debug("airvpn bootstrap {Url} failed: {Error}", url, e.Message);
            }
            catch (Exception e) when (e is CryptographicException or XmlException)
            {
                failures.Add($"{url.Authority}: unreadable answer ({e.GetType().Name})");
                context.Log.Debug("airvpn bootstrap {Url} gave an unreadable answer: {Error}", url, e.Message);
            }
        }
        throw new ProviderException(
            $"airvpn: no bootstrap server answered ({string.Join("; ", failures)}); check the network, api_urls and rsa_key_file");
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
    public static AirManifest Parse(XElement root)
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
            EntryIndex = (int)(AirApiClient.Long(m, "entry_index") ?? 0),
        }).Where(m => m.Port is > 0 and <= 65535 && m.Type.Length > 0).ToList();

        return new AirManifest { Servers = servers.Where(s => s.Name.Length > 0).ToList(), Modes = modes, FetchedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() };
    }
}
