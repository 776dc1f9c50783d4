using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace TemplateVpn;

// The plugin's command line, as CommandLineParser option classes. tunmux parses the words into these
// classes, checks [Range] and [AllowedValues] before the plugin runs, prints help from them, and hands
// the plugin the typed object.

/// <summary><c>tunmux templatevpn connect --city CITY</c>: the standard connect flags plus the provider's own.</summary>
public sealed class TemplateConnectOptions : ConnectOptions
{
    [Option("city", MetaValue = "CITY", HelpText = "prefer servers in this city")]
    public string? City { get; set; }
}

/// <summary><c>tunmux templatevpn hello [--json]</c>: a verb of the plugin's own.</summary>
[Verb("hello", HelpText = "Show that the plugin is loaded")]
public sealed class HelloOptions : JsonVerbOptions;

/// <summary><c>tunmux templatevpn ports ...</c>: a group of nested verbs.</summary>
[Verb("ports", HelpText = "Forwarded ports")]
[Subverbs(typeof(PortsAddOptions), typeof(PortsListOptions))]
public sealed class PortsGroup;

/// <summary><c>tunmux templatevpn ports add &lt;port&gt; [-p tcp|udp|both] [--note TEXT]</c>.</summary>
[Verb("add", HelpText = "Forward a port")]
public sealed class PortsAddOptions
{
    [Value(0, MetaName = "port", Required = true, HelpText = "port to forward (1024-65535)")]
    [Range(1024, 65535)]
    public int Port { get; set; }

    [Option('p', "protocol", MetaValue = "PROTO", Default = "both", HelpText = "tcp, udp or both")]
    [AllowedValues("tcp", "udp", "both")]
    public string Protocol { get; set; } = "both";

    [Option("note", MetaValue = "TEXT", HelpText = "a note shown by 'ports list'")]
    public string? Note { get; set; }
}

/// <summary><c>tunmux templatevpn ports list [--json]</c>.</summary>
[Verb("list", HelpText = "List forwarded ports")]
public sealed class PortsListOptions : JsonVerbOptions;
