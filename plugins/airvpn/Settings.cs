using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn;

/// <summary>
/// Where the plugin talks to: the encrypted API's bootstrap servers, the web site and the RSA key
/// that seals each request. Each comes from the environment first, then config.toml, then AirVPN's defaults.
/// </summary>
internal sealed record Settings(IReadOnlyList<Uri> ApiUrls, Uri WebUrl, string? RsaKeyFile, string? DefaultCountry, string? DefaultDevice)
{
    public const string EnvApiUrls = "TUNMUX_AIRVPN_API_URLS";
    /// <summary>The singular form every provider accepts (TUNMUX_&lt;PROVIDER&gt;_API_URL); same meaning.</summary>
    public const string EnvApiUrl = "TUNMUX_AIRVPN_API_URL";
    public const string EnvWebUrl = "TUNMUX_AIRVPN_WEB_URL";
    public const string EnvRsaKeyFile = "TUNMUX_AIRVPN_RSA_KEY_FILE";

    /// <summary>Bootstrap servers of AirVPN's provider definition (Eddie, resources/providers/AirVPN.json), tried in order.</summary>
    public static readonly IReadOnlyList<string> DefaultApiUrls =
    [
        "http://63.33.78.166",
        "http://54.93.175.114",
        "http://82.196.3.205",
        "http://63.33.116.50",
        "http://[2a03:b0c0:0:1010::9b:c001]",
        "http://bootme.org",
    ];

    public const string DefaultWebUrl = "https://airvpn.org";

    /// <summary>Base of the key-authenticated REST API (the config generator).</summary>
    public Uri RestBase => new(WebUrl, "api/");

    public static Settings From(IConfigSection config, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;

        IReadOnlyList<string> urls = (env(EnvApiUrls) is { Length: > 0 } plural ? plural : env(EnvApiUrl)) is { Length: > 0 } e
            ? e.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : config.GetStringList("api_urls") ?? DefaultApiUrls;
        if (urls.Count == 0) throw new ProviderException($"airvpn: api_urls in {config.SourceFile} is empty; give at least one bootstrap URL or remove the key");

        var web = env(EnvWebUrl) is { Length: > 0 } w ? w : config.GetString("web_url") ?? DefaultWebUrl;
        var rsa = env(EnvRsaKeyFile) is { Length: > 0 } r ? r : config.GetString("rsa_key_file");

        return new Settings(
            urls.Select(u => ParseUrl(u, "api_urls")).ToList(),
            ParseUrl(web.TrimEnd('/') + "/", "web_url"),
            rsa,
            NullIfEmpty(config.GetString("default_country")),
            NullIfEmpty(config.GetString("default_device")));
    }

    private static Uri ParseUrl(string value, string key) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ProviderException($"airvpn: {key} value '{value}' is not an http(s) URL; fix config.toml or the environment");

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
