using System.Net;
using System.Text.Json;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>status --check</c>: the address the world sees for an exit, from one request to <c>general.check_url</c> (a
/// what-is-my-IP service) through the exit itself: its SOCKS5 port in proxy mode (the name resolved through the
/// tunnel), the host's own route in direct mode. Off unless asked, since it contacts a third party.
/// </summary>
internal static class ExitCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The exit address the service answered, or an error saying why there is none.</summary>
    public static async Task<(string? Address, string? Error)> AskAsync(ConnectionState s, Uri url, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler
        {
            // socks5h semantics: .NET hands the host name to the proxy, which resolves it through the tunnel.
            Proxy = s.SocksPort is { } port ? new WebProxy(new Uri($"socks5://127.0.0.1:{port}")) : null,
            UseProxy = s.SocksPort is not null,
            ConnectTimeout = Timeout,
            AllowAutoRedirect = false,
        };
        using var http = new HttpClient(handler) { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return (null, $"{url.Host} answered HTTP {(int)response.StatusCode}");
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return Parse(body) is { } address ? (address, null) : (null, $"{url.Host} answered something that is not an IP address");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            return (null, $"no answer from {url.Host} through the exit: {e.Message}");
        }
    }

    /// <summary>A bare address (ipify, ifconfig.me, the lab) or a JSON object with an <c>ip</c> field (ipinfo.io, Mullvad's am.i).</summary>
    internal static string? Parse(string body)
    {
        var text = body.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(text);
                text = json.RootElement.TryGetProperty("ip", out var ip) && ip.ValueKind == JsonValueKind.String ? ip.GetString()! : "";
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return IPAddress.TryParse(text, out var address) ? address.ToString() : null;
    }
}
