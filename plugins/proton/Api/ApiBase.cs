using System.Net;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Api;

/// <summary>Where Proton's API lives: <c>TUNMUX_PROTON_API_URL</c>, else config <c>api_url</c>, else Proton's.</summary>
public static class ApiBase
{
    public const string Default = "https://vpn-api.proton.me/";
    public const string EnvironmentVariable = "TUNMUX_PROTON_API_URL";

    public static Uri Resolve(IConfigSection config, string? environmentValue)
    {
        var (text, source) = !string.IsNullOrWhiteSpace(environmentValue)
            ? (environmentValue.Trim(), EnvironmentVariable)
            : config.GetString("api_url") is { Length: > 0 } fromConfig
                ? (fromConfig.Trim(), $"api_url in {config.SourceFile}")
                : (Default, "default");

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw new ProviderException($"the Proton API URL '{text}' ({source}) is not an http(s) URL");
        if (uri.Scheme == "http" && !IsLoopback(uri))
            throw new ProviderException($"the Proton API URL '{text}' ({source}) uses plain http; only https is allowed except on loopback addresses");
        // A trailing slash makes relative paths append instead of replacing the last segment.
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
