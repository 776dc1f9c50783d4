using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Host.Cli;

// The host's own verbs, as CommandLineParser option classes. To add one: a class here with [Verb],
// an entry in HostVerbs.All (help order), and a case in CliApp.DispatchAsync. Flags of the standard
// provider verbs (connect's --proxy and the like) live in the contracts (Tunmux.Contracts/Verbs).

/// <summary><c>tunmux plugins [--json]</c>.</summary>
[Verb("plugins", HelpText = "List provider plugins: name, version, path, state")]
internal sealed class PluginsVerb : JsonVerbOptions;

/// <summary><c>tunmux disconnect [instance] [-p PROVIDER] [-a]</c>.</summary>
[Verb("disconnect", HelpText = "Take down one connection, or all of them")]
internal sealed class HostDisconnectVerb : DisconnectOptions
{
    [Option('p', "provider", MetaValue = "PROVIDER", HelpText = "only this provider's connections")]
    public string? Provider { get; set; }
}

/// <summary>
/// <c>tunmux &lt;provider&gt; refresh [--force]</c>, also <c>renew</c> (the original tool's word for Proton):
/// renews what the provider's exits need beyond one command (Proton's device certificate) when due.
/// </summary>
[Verb("refresh", aliases: ["renew"], HelpText = "Renew what this provider's exits need beyond one command (Proton: the device certificate) when due")]
internal sealed class RefreshVerb
{
    [Option("force", HelpText = "renew now, due or not")]
    public bool Force { get; set; }
}

/// <summary><c>tunmux connect &lt;provider&gt; ...</c>: the same as <c>tunmux &lt;provider&gt; connect ...</c>.</summary>
[Verb("connect", HelpText = "Connect with a provider: tunmux connect <provider> [flags] (same as tunmux <provider> connect)")]
internal sealed class HostConnectVerb
{
    [Value(0, MetaName = "provider", Required = true, HelpText = "provider name (see 'tunmux plugins')")]
    public string Provider { get; set; } = "";
}

/// <summary>
/// <c>tunmux exec &lt;instance&gt; [--] &lt;command&gt; [args...]</c>. Only the instance is parsed: every word after it
/// belongs to the program (<c>tunmux exec us-1 curl -v ...</c>: <c>-v</c> is curl's), with or without <c>--</c>.
/// </summary>
[Verb("exec", HelpText = "Run a program inside a proxy exit, as you: all its traffic and DNS go through that exit")]
internal sealed class ExecVerb
{
    [Value(0, MetaName = "instance", Required = true, HelpText = "the proxy exit (see 'tunmux status')")]
    public string Instance { get; set; } = "";

    [Value(1, MetaName = "command", HelpText = "the program and its arguments; every word after the instance is the program's, '--' optional")]
    public IEnumerable<string> Command { get; set; } = [];

    /// <summary>What <c>tunmux exec --help</c> says below the flags.</summary>
    public static readonly string[] Details =
    [
        "",
        "The program runs with your user id and groups (never as root for you), in the exit's network namespace:",
        "its connections leave through the exit and names resolve through the tunnel's DNS. Its exit code is",
        "exec's exit code (128+N when signal N ended it).",
        "In a rootless exit tunmux enters your own namespaces and becomes the program (same terminal, same process).",
        "In a root-mode exit (the daemon's) the daemon starts the program for you, only if the exit is yours (or you are",
        "root): in your current folder, with a login's environment (HOME, USER, SHELL, PATH) plus your TERM, locale and TZ",
        "(pass others as 'env NAME=value program'), and your own stdin, stdout and stderr. At a terminal it gets a terminal",
        "of its own: Ctrl-C, Ctrl-Z and window size reach it. If exec ends (Ctrl-C outside a terminal, killed), so does",
        "the program, with everything it started in its session.",
        "examples:",
        "  tunmux exec us-1 curl -v https://example.com",
        "  tunmux exec us-1 -- bash",
    ];
}

/// <summary><c>tunmux wg [instance]</c>: the WireGuard view of exits, as <c>wg show</c> prints it.</summary>
[Verb("wg", HelpText = "Show the WireGuard state of a connection (peer, endpoint, latest handshake, transfer) as 'wg show' does")]
internal sealed class WgVerb
{
    [Value(0, MetaName = "instance", HelpText = "instance to show (see 'tunmux status'; default: every connection)")]
    public string? Instance { get; set; }
}

/// <summary><c>tunmux lockdown [on|off] [--allow-lan] [--json]</c>: the firewall with no connection at all, until turned off.</summary>
[Verb("lockdown", HelpText = "Block all traffic outside a tunnel, connected or not, until turned off (no argument: show whether it is on)")]
internal sealed class LockdownVerb : JsonVerbOptions
{
    [Value(0, MetaName = "on|off", HelpText = "on or off; without it, show whether lockdown is on")]
    [AllowedValues("on", "off")]
    public string? State { get; set; }

    [Option("allow-lan", HelpText = "with on: the local subnets this machine is on stay reachable")]
    public bool AllowLan { get; set; }
}

/// <summary><c>tunmux privileged --serve ...</c>: the root daemon.</summary>
[Verb("privileged", HelpText = "Run the root daemon that changes the system (normally started for you)")]
internal sealed class PrivilegedVerb
{
    [Option("serve", HelpText = "serve requests on the control socket")]
    public bool Serve { get; set; }

    [Option("stdio", HelpText = "serve one client on stdin/stdout instead of the socket")]
    public bool Stdio { get; set; }

    [Option("autostarted", HelpText = "started by a client's autostart (enables autostop)")]
    public bool Autostarted { get; set; }

    [Option("authorized-group", MetaValue = "GROUP", HelpText = "group whose members may use the daemon besides root")]
    public string? AuthorizedGroup { get; set; }

    [Option("idle-timeout-ms", MetaValue = "MS", HelpText = "exit after this long idle")]
    [Range(1, 86_400_000)]
    public int? IdleTimeoutMs { get; set; }
}

/// <summary><c>tunmux doctor [--json]</c>.</summary>
[Verb("doctor", HelpText = "Check this machine for what tunmux needs: one line per check, with the fix")]
internal sealed class DoctorVerb : JsonVerbOptions;

/// <summary><c>tunmux completion bash|zsh|fish</c>.</summary>
[Verb("completion", HelpText = "Print the shell completion script for bash, zsh or fish")]
internal sealed class CompletionVerb
{
    [Value(0, MetaName = "shell", Required = true, HelpText = "bash, zsh or fish")]
    [AllowedValues("bash", "zsh", "fish")]
    public string Shell { get; set; } = "";
}

/// <summary>
/// <c>tunmux __complete WORD... CURRENT</c>: the candidates for the last word of a command line, for the
/// completion scripts. Its words are taken as they are, never parsed as flags.
/// </summary>
[Verb("__complete", Hidden = true, HelpText = "Print the completions of a command line (used by the completion scripts)")]
internal sealed class CompleteVerb;

/// <summary><c>tunmux manpage</c>: tunmux(1) in roff, written from these same verb classes.</summary>
[Verb("manpage", Hidden = true, HelpText = "Print the manual page tunmux(1) in roff")]
internal sealed class ManPageVerb;

/// <summary>The flags before any verb; <c>-v</c> is also accepted anywhere on the line.</summary>
[Verb("tunmux", HelpText = "global flags")]
internal sealed class GlobalFlags
{
    [Option('v', "verbose", HelpText = "debug logging (or TUNMUX_LOG=debug|info|warning|error); anywhere on the line")]
    public bool Verbose { get; set; }

    [Option('V', "version", HelpText = "print the version")]
    public bool Version { get; set; }
}

internal static class HostVerbs
{
    public const string Heading = "tunmux: multi-provider WireGuard VPN, direct or as many proxy exits side by side";

    /// <summary>The host's verbs in help order.</summary>
    public static readonly IReadOnlyList<Type> All =
        [typeof(StatusOptions), typeof(PluginsVerb), typeof(HostConnectVerb), typeof(HostDisconnectVerb), typeof(ExecVerb), typeof(LockdownVerb), typeof(WgVerb), typeof(PrivilegedVerb),
            typeof(DoctorVerb), typeof(CompletionVerb), typeof(CompleteVerb), typeof(ManPageVerb)];

    /// <summary>
    /// Every word that names a host command (each verb's name and aliases, and <c>help</c>): no plugin may be called so.
    /// Kept as text so that a provider's command line is told from a host one without reading the verb classes'
    /// attributes (a start-up cost); a test holds it equal to what <see cref="All"/> declares.
    /// </summary>
    public static readonly IReadOnlySet<string> Words = new HashSet<string>(StringComparer.Ordinal)
    {
        "status", "plugins", "connect", "disconnect", "exec", "lockdown", "wg", "privileged", "doctor", "completion", "__complete", "manpage", "help",
    };

    /// <summary>The standard verbs below a provider that the host answers without loading the plugin.</summary>
    public static readonly IReadOnlyList<Type> Bookkeeping = [typeof(DisconnectOptions), typeof(StatusOptions)];
}
