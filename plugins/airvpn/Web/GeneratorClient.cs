using System.Net;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>AirVPN's config generator on the key-authenticated REST API (<c>/api/generator/</c>).</summary>
internal sealed class GeneratorClient(Settings settings, IProviderContext context, string apiKey)
{
    /// <summary>Thrown when the API key is not (or no longer) accepted.</summary>
    public sealed class KeyRejectedException : Exception;

    /// <summary>One configuration file as text.</summary>
    public async Task<string> GenerateAsync(GeneratorRequest request, CancellationToken ct)
    {
        using var http = context.Http.Create(TimeSpan.FromSeconds(30));
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.RestBase, "generator/"))
        {
            Content = new FormUrlEncodedContent(
            [
                KeyValuePair.Create("protocols", request.Protocol),
                KeyValuePair.Create("servers", request.Server),
                KeyValuePair.Create("download", "auto"),
                KeyValuePair.Create("system", "linux"),
                KeyValuePair.Create("iplayer_entry", "ipv4"),
                KeyValuePair.Create("iplayer_exit", "ipv4"),
                KeyValuePair.Create("wireguard_mtu", "1320"),
                KeyValuePair.Create("wireguard_persistent_keepalive", "15"),
                KeyValuePair.Create("device", request.Device),
            ]),
        };
        message.Headers.Add("api-key", apiKey);
        message.Headers.Add("x-requested-with", "XMLHttpRequest");

        using var response = await http.SendAsync(message, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) throw new KeyRejectedException();
        if (body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.TryGetProperty("error", out var e) && e.GetString() is { Length: > 0 } err)
                {
                    if (err.Contains("key", StringComparison.OrdinalIgnoreCase) && err.Contains("api", StringComparison.OrdinalIgnoreCase))
                        throw new KeyRejectedException();
                    throw new ProviderException($"airvpn: the config generator refused {request.Server} {request.Protocol}: {err.TrimEnd('.')}");
                }
                if (root.TryGetProperty("result", out var r) && r.GetString() is { } result && result != "ok")
                    throw new ProviderException($"airvpn: the config generator refused {request.Server} {request.Protocol}: {result}");
            }
            catch (JsonException) { }
        }
        if (!response.IsSuccessStatusCode)
            throw new ProviderException($"airvpn: the config generator answered HTTP {(int)response.StatusCode} for {request.Server}; retry later");
        return body;
    }
}

/// <summary>One file to generate.</summary>
/// <param name="Server">A server name or country code.</param>
/// <param name="Protocol">Generator protocol value (<c>wireguard_1_udp_1637</c>, <c>openvpn_1_udp_443</c>).</param>
/// <param name="Device">Device (key) name.</param>
internal sealed record GeneratorRequest(string Server, string Protocol, string Device);
