using System.ComponentModel.DataAnnotations;
using CommandLine;

namespace Tunmux.Contracts;

// The standard verbs every provider gets, as CommandLineParser option classes. A provider adds its own
// flags by deriving from one of them (Proton: `ProtonConnectOptions : ConnectOptions` with `--p2p`) and
// naming the derived class in ProviderCommands; the host parses the command line into that class and
// hands the provider the typed object. Flags shared by every provider belong here, in the class of
// their verb. Allowed values and integer ranges are declared with System.ComponentModel.DataAnnotations'
// [AllowedValues] and [Range]; the host checks them before the provider runs.

/// <summary>Options of a verb that prints a listing and accepts <c>--json</c>.</summary>
public abstract class JsonVerbOptions
{
    /// <summary><c>--json</c>: machine-readable output.</summary>
    [Option("json", HelpText = "machine-readable output")]
    public bool Json { get; set; }
}

/// <summary>The order of server listings and of the candidates <c>connect</c> chooses from (<c>-s/--sort</c>).</summary>
public enum ServerSort
{
    /// <summary>The provider's score (its own notion of best).</summary>
    Score,

    /// <summary>Lowest load first.</summary>
    Load,

    /// <summary>By name.</summary>
    Name,

    /// <summary>Lowest measured round trip first (see <see cref="IProviderContext.Latency"/>).</summary>
    Latency,
}

/// <summary><c>login &lt;username&gt; [--password-stdin]</c>.</summary>
[Verb("login", HelpText = "Log in and store the session")]
public class LoginOptions
{
    /// <summary>
    /// The account's user name. Virtual so that a provider whose account identifier may come from
    /// elsewhere (standard input, a prompt) can override it with its own <c>[Value(0, Required = false)]</c>;
    /// CommandLineParser reads the overriding attribute.
    /// </summary>
    [Value(0, MetaName = "username", Required = true, HelpText = "account user name")]
    public virtual string Username { get; set; } = "";

    /// <summary><c>--password-stdin</c>: the host reads the password from standard input.</summary>
    [Option("password-stdin", HelpText = "read the password from the first line of standard input")]
    public bool PasswordStdin { get; set; }
}

/// <summary><c>logout [--force]</c>; the host refuses it while exits of the provider are up, unless forced.</summary>
[Verb("logout", HelpText = "Revoke the session and delete stored credentials")]
public class LogoutOptions
{
    /// <summary><c>--force</c>: take the provider's exits down first instead of refusing.</summary>
    [Option("force", HelpText = "take this provider's exits down first (otherwise logout refuses while any is up)")]
    public bool Force { get; set; }
}

/// <summary><c>info [--json]</c>.</summary>
[Verb("info", HelpText = "Show account details")]
public class InfoOptions : JsonVerbOptions;

/// <summary><c>servers [-c CC] [-s ORDER] [--refresh] [--json]</c>.</summary>
[Verb("servers", HelpText = "List servers")]
public class ServersOptions : JsonVerbOptions
{
    /// <summary>ISO country code filter.</summary>
    [Option('c', "country", MetaValue = "CC", HelpText = "ISO country code, e.g. US")]
    public string? Country { get; set; }

    /// <summary>Listing order; null means the provider's own order.</summary>
    [Option('s', "sort", MetaValue = "ORDER", HelpText = "order: score, load, name or latency")]
    public ServerSort? Sort { get; set; }

    /// <summary>Bypass any cache.</summary>
    [Option("refresh", HelpText = "fetch the server list again instead of using the cache")]
    public bool Refresh { get; set; }
}

/// <summary>
/// <c>connect [server] [flags]</c>: the flags every provider shares. Add a flag every provider gets
/// here; the host reads it in its connect command.
/// </summary>
[Verb("connect", HelpText = "Connect to a server (all traffic, or --proxy for a SOCKS5/HTTP proxy exit)")]
public class ConnectOptions
{
    /// <summary>The WireGuard backends <c>--backend</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Backends = ["auto", "wg-quick", "userspace", "kernel"];

    /// <summary>A server named on the command line (<c>US#1</c>), or null to choose by filters.</summary>
    [Value(0, MetaName = "server", HelpText = "server name, e.g. US#1 (default: best server matching the filters)")]
    public string? Server { get; set; }

    /// <summary>Country filter.</summary>
    [Option('c', "country", MetaValue = "CC", HelpText = "ISO country code, e.g. US")]
    public string? Country { get; set; }

    /// <summary>The order candidates are ranked in; null means the provider's own.</summary>
    [Option('s', "sort", MetaValue = "ORDER", HelpText = "pick by: score, load, name or latency")]
    public ServerSort? Sort { get; set; }

    /// <summary>Proxy mode.</summary>
    [Option("proxy", HelpText = "proxy mode: own namespace, SOCKS5 and HTTP proxy on localhost, host traffic untouched")]
    public bool Proxy { get; set; }

    /// <summary>A rootless proxy exit: the user's own namespaces, no daemon, no sudo.</summary>
    [Option("rootless", HelpText = "proxy mode without root: the exit runs in your own user namespace (pasta or slirp4netns, wireguard-go); default from general.rootless")]
    public bool Rootless { get; set; }

    /// <summary>SOCKS5 port in proxy mode.</summary>
    [Option("socks-port", MetaValue = "PORT", HelpText = "SOCKS5 port in proxy mode (default: first free from 1080)")]
    [Range(1, 65535)]
    public int? SocksPort { get; set; }

    /// <summary>HTTP proxy port in proxy mode.</summary>
    [Option("http-port", MetaValue = "PORT", HelpText = "HTTP proxy port in proxy mode (default: first free from 8118)")]
    [Range(1, 65535)]
    public int? HttpPort { get; set; }

    /// <summary>Log one line per proxied connection.</summary>
    [Option("proxy-access-log", HelpText = "log one line per proxied connection")]
    public bool ProxyAccessLog { get; set; }

    /// <summary>Require proxy authentication with this user name.</summary>
    [Option("proxy-user", MetaValue = "NAME", HelpText = "require SOCKS5 username/password auth (password from TUNMUX_PROXY_PASSWORD, else prompted)")]
    public string? ProxyUser { get; set; }

    /// <summary>Open the exit's proxies to every local user on purpose (also config.toml's <c>proxy_share</c>).</summary>
    [Option("proxy-share", HelpText = "let every local user use this exit's proxies (default: only you and root)")]
    public bool ProxyShare { get; set; }

    /// <summary>Accounts besides the owner that may use the exit's proxies: <c>user:NAME</c> and <c>group:NAME</c>.</summary>
    [Option("proxy-allow", MetaValue = "WHO", Separator = ',', HelpText = "also let these accounts use this exit's proxies: user:NAME,group:NAME (comma-separated or repeated)")]
    public IEnumerable<string> ProxyAllow { get; set; } = [];

    /// <summary>WireGuard backend; null means config.toml's or <c>auto</c>.</summary>
    [Option('b', "backend", MetaValue = "BACKEND", HelpText = "WireGuard backend: auto, wg-quick, userspace or kernel")]
    [AllowedValues("auto", "wg-quick", "userspace", "kernel")]
    public string? Backend { get; set; }

    /// <summary>Tunnel MTU.</summary>
    [Option("mtu", MetaValue = "N", HelpText = "tunnel MTU (default: the profile's, else 1420)")]
    [Range(576, 9000)]
    public int? Mtu { get; set; }

    /// <summary>Keep the server connected to even when it stops answering (the exit then fails instead of moving).</summary>
    [Option("no-failover", HelpText = "never move the exit to another server when its server stops answering (config: failover = false)")]
    public bool NoFailover { get; set; }

    /// <summary>Direct mode: block everything outside the tunnel from before the routes change until disconnect.</summary>
    [Option("kill-switch", HelpText = "direct mode: nothing leaves outside the tunnel until disconnect, even if the tunnel dies (config general.kill_switch)")]
    public bool KillSwitch { get; set; }

    /// <summary>With the kill switch: the subnets this machine is directly on stay reachable.</summary>
    [Option("allow-lan", HelpText = "with the kill switch: the local subnets this machine is on stay reachable")]
    public bool AllowLan { get; set; }

    /// <summary>Direct mode: IPv6 blocked for the duration even when the profile has an IPv6 address.</summary>
    [Option("disable-ipv6", HelpText = "direct mode: block IPv6 while connected even when the server offers it")]
    public bool DisableIpv6 { get; set; }

    /// <summary><c>--json</c>: the connection as JSON on standard output and no progress on standard error (since plugin API 2.2).</summary>
    [Option("json", HelpText = "print the connection as JSON (instance, ports, backend), with no progress lines")]
    public bool Json { get; set; }
}

/// <summary><c>disconnect [instance] [-a]</c> below a provider; handled by the host alone.</summary>
[Verb("disconnect", HelpText = "Take down this provider's connection(s)")]
public class DisconnectOptions
{
    /// <summary>The instance to take down.</summary>
    [Value(0, MetaName = "instance", HelpText = "instance to disconnect (see 'tunmux status')")]
    public string? Instance { get; set; }

    /// <summary>Every connection in scope.</summary>
    [Option('a', "all", HelpText = "every connection in scope")]
    public bool All { get; set; }
}

/// <summary><c>status [--json]</c>; handled by the host alone.</summary>
[Verb("status", HelpText = "Show connections: provider, server, mode, backend, proxy ports, liveness")]
public class StatusOptions : JsonVerbOptions
{
    /// <summary>Also ask <c>general.check_url</c>, through each exit, which address the world sees.</summary>
    [Option("check", HelpText = "also ask general.check_url through each exit which address the world sees (contacts that service)")]
    public bool Check { get; set; }
}
