using System.Net;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// A provider's API base: its <c>TUNMUX_&lt;PROVIDER&gt;_…_URL</c> variable, else a key of its config
/// section, else the provider's public address. Plain http is accepted only for loopback
/// addresses (fake servers in tests and the lab), so credentials never cross a network in clear.
/// </summary>
internal static class ApiUrl
{
    public static Uri Resolve(string provider, IConfigSection config, string configKey, string environmentVariable,
        string? environmentValue, string defaultUrl)
    {
        var (text, source) = !string.IsNullOrWhiteSpace(environmentValue)
            ? (environmentValue.Trim(), environmentVariable)
            : config.GetString(configKey) is { Length: > 0 } fromConfig
                ? (fromConfig.Trim(), $"{configKey} in {config.SourceFile}")
                : (defaultUrl, "default");

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw new ProviderException($"the {provider} URL '{text}' ({source}) is not an http(s) URL; fix it or remove it to use {defaultUrl}");
        if (uri.Scheme == "http" && !IsLoopback(uri))
            throw new ProviderException($"the {provider} URL '{text}' ({source}) uses plain http; only https is allowed except on loopback addresses");
        // A trailing slash makes relative paths append instead of replacing the last segment.
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
