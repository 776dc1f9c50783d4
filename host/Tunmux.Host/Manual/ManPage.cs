using System.Globalization;
using System.Text;
using Tunmux.Host.Cli;

namespace Tunmux.Host.Manual;

/// <summary>
/// tunmux(1) in roff, written from the verb classes that parse each command and render its
/// <c>--help</c>: the same usage lines (<see cref="Help.UsageLine"/>), descriptions and flag texts, so
/// the page and the help cannot disagree. The host's verbs come first, then every installed
/// provider's verbs, groups walked. Only the prose around them (description, environment, files,
/// exit status) is written here.
/// </summary>
internal sealed class ManPage(CommandTree tree, string version, DateTimeOffset date)
{
    public string Render()
    {
        var r = new Roff();
        r.Macro("TH", "TUNMUX", "1", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), $"tunmux {version}", "User Commands");
        r.Macro("SH", "NAME");
        r.Text("tunmux - " + HostVerbs.Heading["tunmux: ".Length..]);

        r.Macro("SH", "SYNOPSIS");
        r.Raw(@"\fBtunmux\fR [\fIflags\fR] \fIcommand\fR ...");
        r.Macro("br");
        r.Raw(@"\fBtunmux\fR \fIprovider\fR \fIcommand\fR [\fIflags\fR]");

        r.Macro("SH", "DESCRIPTION");
        r.Text("tunmux logs in to VPN providers and brings up WireGuard tunnels in two modes. Direct mode sends all of " +
               "the machine's traffic through one tunnel. Proxy mode (--proxy) gives each connection its own network " +
               "namespace with a SOCKS5 and an HTTP proxy on localhost, so that many exits run side by side and only " +
               "programs that use a proxy go through a VPN.");
        r.Macro("PP");
        r.Text("A small privileged daemon (tunmux privileged --serve) is the only part that changes the system; it is " +
               "started through its systemd socket or through sudo, and serves root and the members of the group tunmux. " +
               "Run 'tunmux doctor' when something does not work.");
        r.Macro("PP");
        r.Text("Every command prints its help with -h or --help; this page is written from the same definitions.");

        r.Macro("SH", "GLOBAL FLAGS");
        foreach (var o in tree.GlobalFlags.Options) Flag(r, o);
        r.Macro("TP");
        r.Raw($@"{Roff.Bold("-h")}, {Roff.Bold("--help")}");
        r.Text("show the help of tunmux or of any command");

        r.Macro("SH", "COMMANDS");
        foreach (var verb in tree.HostVerbs) Verb(r, verb, "tunmux " + verb.Name);

        r.Macro("SH", "PROVIDERS");
        r.Text("Each provider is a plugin. 'tunmux connect <provider> ...' is the same as 'tunmux <provider> connect ...'; " +
               "disconnect and status below a provider are the host's own and work even when its plugin does not load.");
        foreach (var name in tree.ProviderNames)
        {
            if (tree.Provider(name) is not { } provider)
            {
                r.Macro("SS", $"tunmux {name}");
                r.Text($"The plugin '{name}' did not load; 'tunmux plugins' says why.");
                continue;
            }
            r.Macro("SS", $"{provider.DisplayName}: tunmux {name}");
            foreach (var type in provider.Verbs.Top) Walk(r, VerbModel.Of(type), $"tunmux {name} {VerbModel.Of(type).Name}");
        }

        Prose(r);
        return r.ToString();
    }

    private static void Walk(Roff r, VerbModel verb, string path)
    {
        if (verb.Hidden) return;
        Verb(r, verb, path);
        foreach (var sub in verb.Subverbs) Walk(r, VerbModel.Of(sub), $"{path} {VerbModel.Of(sub).Name}");
    }

    /// <summary>One command: its usage line, description, aliases, arguments and flags.</summary>
    private static void Verb(Roff r, VerbModel verb, string path)
    {
        r.Macro("PP");
        r.Raw(Roff.Bold(Help.UsageLine(verb, path)["usage: ".Length..]));
        r.Macro("RS", "4");
        r.Text(verb.Help);
        if (verb.Aliases.Count > 0)
        {
            r.Macro("br");
            r.Text("Also: " + string.Join(", ", verb.Aliases.Select(a => path[..path.LastIndexOf(' ')] + " " + a)));
        }
        if (verb.IsGroup)
        {
            r.Macro("br");
            r.Text("Commands: " + string.Join(", ", CommandTree.Visible(verb.Subverbs).Select(v => v.Name)) + (VerbModel.FindDefault(verb.Subverbs) is { } d ? $" (default: {d.Name})" : ""));
        }
        foreach (var v in verb.Values)
        {
            r.Macro("TP");
            r.Raw(Roff.Italic($"<{v.MetaName}>"));
            r.Text(Prefixed(v.Required, v.Help, null));
        }
        foreach (var o in verb.Options) Flag(r, o);
        r.Macro("RE");
    }

    private static void Flag(Roff r, OptionModel o)
    {
        r.Macro("TP");
        // GNU's form, -c, --country=CC: the flags and value name the help line shows (-c CC, --country=CC).
        var label = o.ShortName is { } s ? $"{Roff.Bold("-" + s)}, {Roff.Bold("--" + o.LongName)}" : Roff.Bold("--" + o.LongName);
        if (o.TakesValue) label += "=" + Roff.Italic(o.MetaValue ?? "VALUE");
        r.Raw(label);
        r.Text(Prefixed(o.Required, o.Help, o.Default));
    }

    /// <summary>A flag's or argument's text as its help line gives it: "required:" first, the default last.</summary>
    public static string Prefixed(bool required, string help, object? defaultValue)
    {
        var text = required ? "required: " + help : help;
        if (defaultValue is not null) text += $" (Default: {Convert.ToString(defaultValue, CultureInfo.InvariantCulture)})";
        return text;
    }

    private static void Prose(Roff r)
    {
        r.Macro("SH", "ENVIRONMENT");
        (string, string)[] environment =
        [
            ("TUNMUX_CONFIG_DIR", "configuration and connection state (default $XDG_CONFIG_HOME/tunmux, else ~/.config/tunmux)"),
            ("TUNMUX_PLUGIN_PATH", "colon-separated folders searched for plugins before the installed ones"),
            ("TUNMUX_LOG", "log level: debug, info, warning or error (-v is debug)"),
            ("TUNMUX_<PROVIDER>_PASSWORD", "the password for login, instead of a prompt"),
            ("TUNMUX_<PROVIDER>_API_URL", "the provider's API base (tests and mirrors)"),
            ("TUNMUX_PROXY_PASSWORD", "the password of --proxy-user, instead of a prompt"),
            ("TUNMUX_RUNTIME_DIR, TUNMUX_STATE_DIR", "the daemon's folders (default /run/tunmux, /var/lib/tunmux)"),
        ];
        foreach (var (name, text) in environment)
        {
            r.Macro("TP");
            r.Raw(Roff.Bold(name));
            r.Text(text);
        }

        r.Macro("SH", "FILES");
        (string, string)[] files =
        [
            ("~/.config/tunmux/config.toml", "settings; [general] and one section per provider"),
            ("~/.config/tunmux/connections/", "one file per active connection"),
            ("/usr/lib/tunmux/plugins/, ~/.local/share/tunmux/plugins/", "provider plugins, <name>/<name>.dll"),
            ("/run/tunmux/ctl.sock", "the privileged daemon's socket (root and the group tunmux)"),
            ("/var/lib/tunmux/", "the daemon's records and log (daemon.log)"),
            ("/etc/sudoers.d/tunmux", "lets the group tunmux start the daemon through sudo"),
            ("tunmux-privileged.socket, tunmux-privileged.service", "systemd units that run the daemon"),
            ("tunmux-refresh@<provider>.timer", "systemd user timer renewing a provider's credentials daily"),
        ];
        foreach (var (name, text) in files)
        {
            r.Macro("TP");
            r.Raw(Roff.Italic(name));
            r.Text(text);
        }

        r.Macro("SH", "EXIT STATUS");
        r.Text("0 on success, 1 when a command fails (one line on standard error says what failed, why and what to do), " +
               "2 for a command line that does not parse (followed by the usage line), 130 when interrupted. " +
               "tunmux doctor exits 1 when any check fails.");

        r.Macro("SH", "SEE ALSO");
        r.Raw(@"\fBwg\fR(8), \fBip\-netns\fR(8), \fBsudoers\fR(5), \fBsystemd.socket\fR(5); /usr/share/doc/tunmux/");
    }

    /// <summary>Roff output: macros, escaped text lines, and inline font changes.</summary>
    private sealed class Roff
    {
        private readonly StringBuilder _sb = new();

        public void Macro(string name, params string[] args)
        {
            _sb.Append('.').Append(name);
            foreach (var a in args) _sb.Append(' ').Append(Quote(Escape(a)));
            _sb.Append('\n');
        }

        /// <summary>A line of plain text.</summary>
        public void Text(string text) => Raw(Escape(text));

        /// <summary>A line already in roff (escaped pieces put together).</summary>
        public void Raw(string roff)
        {
            if (roff.StartsWith('.') || roff.StartsWith('\'')) _sb.Append(@"\&");
            _sb.Append(roff).Append('\n');
        }

        public static string Bold(string text) => $@"\fB{Escape(text)}\fR";

        public static string Italic(string text) => $@"\fI{Escape(text)}\fR";

        /// <summary>Backslashes and hyphens escaped: every '-' is a minus, so flags copied from the page work.</summary>
        public static string Escape(string text) => text.Replace(@"\", @"\e").Replace("-", @"\-").Replace("\n", " ");

        private static string Quote(string arg) => arg.Contains(' ') || arg.Length == 0 ? $"\"{arg.Replace("\"", "\\(dq")}\"" : arg;

        public override string ToString() => _sb.ToString();
    }
}
