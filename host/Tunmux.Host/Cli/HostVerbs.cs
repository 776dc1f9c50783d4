using Tunmux.Contracts;
using Tunmux.Host.Config;

namespace Tunmux.Host.Cli;

/// <summary>The verbs the host defines: top-level ones and the standard verbs every provider gets.</summary>
public static class HostVerbs
{
    public static readonly OptionSpec Json = OptionSpec.Switch("json", "machine-readable output");

    public static readonly VerbSpec Status = new("status", "Show every connection: provider, server, mode, backend, proxy ports, liveness")
    { Options = [Json], SupportsJson = true };

    public static readonly VerbSpec Plugins = new("plugins", "List provider plugins: name, version, path, state")
    { Options = [Json], SupportsJson = true };

    public static readonly VerbSpec Disconnect = new("disconnect", "Take down one connection, or all of them")
    {
        Arguments = [new ArgumentSpec("instance", "instance to disconnect (see 'tunmux status')", Required: false)],
        Options =
        [
            OptionSpec.Value("provider", "PROVIDER", "only this provider's connections", 'p'),
            OptionSpec.Switch("all", "every connection (of the provider, with --provider)", 'a'),
        ],
    };

    public static readonly VerbSpec Privileged = new("privileged", "Run the root daemon that changes the system (normally started for you)")
    {
        Options =
        [
            OptionSpec.Switch("serve", "serve requests on the control socket"),
            OptionSpec.Switch("stdio", "serve one client on stdin/stdout instead of the socket"),
            OptionSpec.Switch("autostarted", "started by a client's autostart (enables autostop)"),
            OptionSpec.Value("authorized-group", "GROUP", "group whose members may use the daemon besides root"),
            OptionSpec.Value("idle-timeout-ms", "MS", "exit after this long idle") with { IsInteger = true, Min = 1, Max = 86_400_000 },
        ],
    };

    private static readonly OptionSpec Country = OptionSpec.Value("country", "CC", "ISO country code, e.g. US");

    /// <summary>The standard verbs of a provider, with the provider's own flags merged in.</summary>
    public static VerbSpec Provider(string name, string displayName, ProviderSpec spec)
    {
        var hidden = spec.UnsupportedStandardVerbs;
        var standard = new List<VerbSpec>
        {
            new("login", $"Log in to {displayName}")
            {
                Arguments = [new ArgumentSpec("username", "account user name")],
                Options = Merge([OptionSpec.Switch("password-stdin", "read the password from the first line of standard input")], spec.LoginOptions),
            },
            new("logout", "Revoke the session and delete stored credentials"),
            new("info", "Show account details") { Options = Merge([Json], spec.InfoOptions), SupportsJson = true },
            new("servers", "List servers")
            {
                Options = Merge([Country, OptionSpec.Switch("refresh", "fetch the server list again instead of using the cache"), Json], spec.ServerOptions),
                SupportsJson = true,
            },
            new("connect", "Connect to a server (all traffic, or --proxy for a SOCKS5/HTTP proxy exit)")
            {
                Arguments = [new ArgumentSpec("server", "server name, e.g. US#1 (default: best server matching the filters)", Required: false)],
                Options = Merge(ConnectOptions, spec.ConnectOptions),
            },
            new("disconnect", "Take down this provider's connection(s)")
            {
                Arguments = [new ArgumentSpec("instance", "instance to disconnect", Required: false)],
                Options = [OptionSpec.Switch("all", "every connection of this provider", 'a')],
            },
            new("status", "Show this provider's connections") { Options = [Json], SupportsJson = true },
        };
        var verbs = standard.Where(v => !hidden.Contains(v.Name)).ToList();
        foreach (var own in spec.Verbs)
            if (verbs.All(v => v.Name != own.Name)) verbs.Add(WithJson(own));
        return new VerbSpec(name, $"{displayName} commands") { Subverbs = verbs };
    }

    public static readonly IReadOnlyList<OptionSpec> ConnectOptions =
    [
        Country,
        OptionSpec.Switch("proxy", "proxy mode: own namespace, SOCKS5 and HTTP proxy on localhost, host traffic untouched"),
        OptionSpec.Value("socks-port", "PORT", "SOCKS5 port in proxy mode (default: first free from 1080)") with { IsInteger = true, Min = 1, Max = 65535 },
        OptionSpec.Value("http-port", "PORT", "HTTP proxy port in proxy mode (default: first free from 8118)") with { IsInteger = true, Min = 1, Max = 65535 },
        OptionSpec.Switch("proxy-access-log", "log one line per proxied connection"),
        OptionSpec.Value("proxy-user", "NAME", "require SOCKS5 username/password auth (password from TUNMUX_PROXY_PASSWORD, else prompted)"),
        OptionSpec.Value("backend", "BACKEND", "WireGuard backend") with { AllowedValues = GeneralConfig.Backends },
        OptionSpec.Value("mtu", "N", "tunnel MTU (default: the profile's, else 1420)") with { IsInteger = true, Min = 576, Max = 9000 },
    ];

    /// <summary>A plugin verb that lists things gets the host's <c>--json</c> flag, at every level.</summary>
    private static VerbSpec WithJson(VerbSpec verb) => verb with
    {
        Options = verb.SupportsJson ? Merge([Json], verb.Options) : verb.Options,
        Subverbs = verb.Subverbs.Select(WithJson).ToList(),
    };

    /// <summary>Host flags win; a plugin flag with the same name is dropped rather than shadowing the host's.</summary>
    private static List<OptionSpec> Merge(IReadOnlyList<OptionSpec> host, IReadOnlyList<OptionSpec> plugin) =>
        [.. host, .. plugin.Where(p => host.All(h => h.Name != p.Name && (p.Short is null || h.Short != p.Short)))];

    public static VerbSpec Root(IEnumerable<string> providerNames) => new("tunmux", "tunmux: multi-provider WireGuard VPN, direct or as many proxy exits side by side")
    {
        Subverbs =
        [
            Status, Plugins,
            new VerbSpec("connect", "Connect with a provider: tunmux connect <provider> [flags] (same as tunmux <provider> connect)"),
            Disconnect, Privileged,
            .. providerNames.Select(p => new VerbSpec(p, $"{p} provider commands (tunmux {p} --help)")),
        ],
        Options =
        [
            OptionSpec.Switch("verbose", "debug logging (or TUNMUX_LOG=debug|info|warning|error)", 'v'),
            OptionSpec.Switch("version", "print the version", 'V'),
        ],
    };
}
