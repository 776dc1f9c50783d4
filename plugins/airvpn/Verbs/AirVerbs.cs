using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Verbs;

// The command line the AirVPN plugin adds to the host's standard verbs, as CommandLineParser classes.
// Numbers and protocols are declared with [Range] and [AllowedValues], so the host refuses a bad one
// before the plugin runs (the verbs check again; they do not rely on it).

/// <summary>The command tree, for <see cref="IVpnProvider.Describe"/>.</summary>
internal static class AirCommands
{
    public static readonly string[] Protocols = ["tcp", "udp", "both"];

    public static ProviderCommands Spec { get; } = new()
    {
        Servers = typeof(AirServersOptions),
        Connect = typeof(AirConnectOptions),
        Verbs = [typeof(SessionsOptions), typeof(PortsGroup), typeof(DevicesGroup), typeof(ApiKeysGroup), typeof(GenerateOptions)],
        ConfigKeys = ["default_country", "default_device", "api_urls", "web_url", "rsa_key_file"],
    };
}

/// <summary><c>airvpn connect -k DEVICE --port N</c>.</summary>
public sealed class AirConnectOptions : ConnectOptions
{
    [Option('k', "key", MetaValue = "DEVICE", HelpText = "Device (WireGuard key) to connect with; default: default_device or the first")]
    public string? Key { get; set; }

    [Option("port", MetaValue = "PORT", HelpText = "WireGuard port to connect on (1637, 47107, 51820, ...; default: AirVPN's default mode)")]
    [Range(1, 65535)]
    public int? Port { get; set; }
}

/// <summary><c>airvpn servers -t KEYWORDS</c>.</summary>
public sealed class AirServersOptions : ServersOptions
{
    [Option('t', "tag", MetaValue = "WORDS", Separator = ',', HelpText = "only servers whose name, country or location contains one of these words (comma-separated or repeated)")]
    public IEnumerable<string> Tags { get; set; } = [];
}

[Verb("sessions", HelpText = "Active VPN sessions of the account with traffic statistics")]
public sealed class SessionsOptions : JsonVerbOptions;

[Verb("ports", HelpText = "Forwarded ports")]
[Subverbs(typeof(PortsList), typeof(PortsAdd), typeof(PortsInfo), typeof(PortsCheck), typeof(PortsSet), typeof(PortsRemove))]
public sealed class PortsGroup;

[Verb("list", HelpText = "List forwarded ports")]
public sealed class PortsList : JsonVerbOptions;

/// <summary>What <c>ports add</c> and <c>ports set</c> may change.</summary>
public abstract class PortSettings
{
    [Option('p', "protocol", MetaValue = "PROTO", HelpText = "tcp, udp or both")]
    [AllowedValues("tcp", "udp", "both")]
    public string? Protocol { get; set; }

    [Option('l', "local", MetaValue = "PORT", HelpText = "Local port the traffic is delivered to (1-65535)")]
    [Range(1, 65535)]
    public int? Local { get; set; }

    [Option('d', "ddns", MetaValue = "NAME", HelpText = "DDNS name (NAME.airdns.org)")]
    public string? Ddns { get; set; }
}

[Verb("add", HelpText = "Forward a port (protocol both unless --protocol)")]
public sealed class PortsAdd : PortSettings
{
    [Value(0, MetaName = "port", Required = true, HelpText = "Port to forward (1-65535; 0: AirVPN picks a free one)")]
    [Range(0, 65535)]
    public int Port { get; set; }
}

[Verb("set", aliases: ["edit"], HelpText = "Change a forwarded port's protocol, local port or DDNS name")]
public sealed class PortsSet : PortSettings
{
    [Value(0, MetaName = "port", Required = true, HelpText = "Forwarded port (1-65535)")]
    [Range(1, 65535)]
    public int Port { get; set; }
}

/// <summary>A verb about one forwarded port that can print JSON.</summary>
public abstract class PortQuery : JsonVerbOptions
{
    [Value(0, MetaName = "port", Required = true, HelpText = "Forwarded port (1-65535)")]
    [Range(1, 65535)]
    public int Port { get; set; }
}

[Verb("info", HelpText = "Sessions currently serving a forwarded port")]
public sealed class PortsInfo : PortQuery;

[Verb("check", HelpText = "Test whether a forwarded port is reachable from the internet")]
public sealed class PortsCheck : PortQuery;

[Verb("remove", HelpText = "Stop forwarding a port")]
public sealed class PortsRemove
{
    [Value(0, MetaName = "port", Required = true, HelpText = "Forwarded port (1-65535)")]
    [Range(1, 65535)]
    public int Port { get; set; }
}

/// <summary><c>rename &lt;old&gt; &lt;new&gt;</c> of devices and API keys.</summary>
public abstract class RenameOptions
{
    [Value(0, MetaName = "old", Required = true, HelpText = "Current name")]
    public string Old { get; set; } = "";

    [Value(1, MetaName = "new", Required = true, HelpText = "New name")]
    public string New { get; set; } = "";
}

/// <summary><c>add [-n NAME]</c> of devices and API keys.</summary>
public abstract class AddNamedOptions
{
    [Option('n', "name", MetaValue = "NAME", HelpText = "Name of the new entry")]
    public string? Name { get; set; }
}

/// <summary><c>delete &lt;name&gt;</c> of devices and API keys.</summary>
public abstract class DeleteNamedOptions
{
    [Value(0, MetaName = "name", Required = true, HelpText = "Name of the entry")]
    public string Name { get; set; } = "";
}

[Verb("devices", HelpText = "Devices (one WireGuard key each)")]
[Subverbs(typeof(DevicesList), typeof(DevicesAdd), typeof(DevicesRename), typeof(DevicesDelete))]
public sealed class DevicesGroup;

[Verb("list", HelpText = "List devices")]
public sealed class DevicesList : JsonVerbOptions;

[Verb("add", HelpText = "Add a device")]
public sealed class DevicesAdd : AddNamedOptions;

[Verb("rename", HelpText = "Rename a device")]
public sealed class DevicesRename : RenameOptions;

[Verb("delete", HelpText = "Delete a device")]
public sealed class DevicesDelete : DeleteNamedOptions;

[Verb("api", aliases: ["api-keys"], HelpText = "REST API keys")]
[Subverbs(typeof(ApiKeysList), typeof(ApiKeysAdd), typeof(ApiKeysRename), typeof(ApiKeysDelete))]
public sealed class ApiKeysGroup;

[Verb("list", HelpText = "List API keys")]
public sealed class ApiKeysList : JsonVerbOptions;

[Verb("add", HelpText = "Create an API key and print its secret")]
public sealed class ApiKeysAdd : AddNamedOptions;

[Verb("rename", HelpText = "Rename an API key")]
public sealed class ApiKeysRename : RenameOptions;

[Verb("delete", HelpText = "Delete an API key")]
public sealed class ApiKeysDelete : DeleteNamedOptions;

[Verb("generate", HelpText = "Write WireGuard or OpenVPN config files (an archive when several)")]
public sealed class GenerateOptions
{
    [Option('s', "server", Required = true, MetaValue = "SERVER", HelpText = "Server name or country code; repeatable")]
    public IEnumerable<string> Servers { get; set; } = [];

    [Option('p', "protocol", MetaValue = "PROTO-PORT", HelpText = "wg, wg-PORT, openvpn-udp-PORT, openvpn-tcp-PORT, openvpn-ssh-PORT or openvpn-ssl-PORT (default: the WireGuard mode connect uses); repeatable")]
    public IEnumerable<string> Protocols { get; set; } = [];

    [Option('o', "output", MetaValue = "FILE", HelpText = "File to write (default: standard output for one config, an archive for several)")]
    public string? Output { get; set; }

    [Option('d', "device", MetaValue = "DEVICE", HelpText = "Device whose key the configs use; default: default_device or the first")]
    public string? Device { get; set; }

    [Option("key", MetaValue = "DEVICE", HelpText = "Same as --device")]
    public string? Key { get; set; }

    [Option("entry", MetaValue = "LAYER", HelpText = "IP layer to reach the server over: ipv4 (default) or ipv6")]
    [AllowedValues("ipv4", "ipv6")]
    public string? Entry { get; set; }

    [Option("exit", MetaValue = "LAYER", HelpText = "IP layers inside the tunnel: both (default), ipv4 or ipv6")]
    [AllowedValues("both", "ipv4", "ipv6")]
    public string? Exit { get; set; }

    [Option("mtu", MetaValue = "N", HelpText = "WireGuard MTU (default 1320)")]
    [Range(576, 9000)]
    public int? Mtu { get; set; }

    [Option("keepalive", MetaValue = "SECONDS", HelpText = "WireGuard persistent keepalive (default 15; 0 turns it off)")]
    [Range(0, 65535)]
    public int? Keepalive { get; set; }

    [Option('f', "format", MetaValue = "FORMAT", HelpText = "Archive format when several files: zip, tar or tar.gz (default: from --output's name, else zip)")]
    [AllowedValues("zip", "tar", "tar.gz", "tgz")]
    public string? Format { get; set; }
}
