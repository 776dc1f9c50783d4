using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>The command line the AirVPN plugin adds to the host's standard verbs.</summary>
internal static class VerbCatalog
{
    public static readonly string[] Protocols = ["tcp", "udp", "both"];

    private static ArgumentSpec PortArgument(string help = "Forwarded port (1-65535)") =>
        new("port", help) { IsInteger = true, Min = 1, Max = 65535 };

    private static OptionSpec LocalOption => OptionSpec.Value("local", "PORT", "Local port the traffic is delivered to (1-65535)") with { IsInteger = true, Min = 1, Max = 65535 };

    private static OptionSpec ProtocolOption => OptionSpec.Value("protocol", "PROTO", "tcp, udp or both") with { AllowedValues = Protocols };

    private static OptionSpec DdnsOption => OptionSpec.Value("ddns", "NAME", "DDNS name (NAME.airdns.org)");

    public static ProviderSpec Spec { get; } = new()
    {
        ConnectOptions = [OptionSpec.Value("key", "DEVICE", "Device (WireGuard key) to connect with; default: default_device or the first")],
        ConfigKeys = ["default_country", "default_device", "api_urls", "web_url", "rsa_key_file"],
        Verbs =
        [
            new VerbSpec("sessions", "Active VPN sessions of the account with traffic statistics") { SupportsJson = true },
            new VerbSpec("ports", "Forwarded ports")
            {
                Subverbs =
                [
                    new VerbSpec("list", "List forwarded ports") { SupportsJson = true },
                    new VerbSpec("add", "Forward a port")
                    {
                        Arguments = [PortArgument("Port to forward (1-65535)")],
                        Options = [ProtocolOption with { Help = "tcp, udp or both (default both)" }, DdnsOption, LocalOption],
                    },
                    new VerbSpec("info", "Sessions currently serving a forwarded port") { Arguments = [PortArgument()], SupportsJson = true },
                    new VerbSpec("check", "Test whether a forwarded port is reachable from the internet") { Arguments = [PortArgument()], SupportsJson = true },
                    new VerbSpec("set", "Change a forwarded port's protocol, local port or DDNS name")
                    {
                        Arguments = [PortArgument()],
                        Options = [ProtocolOption, LocalOption, DdnsOption],
                    },
                    new VerbSpec("remove", "Stop forwarding a port") { Arguments = [PortArgument()] },
                ],
            },
            new VerbSpec("devices", "Devices (one WireGuard key each)")
            {
                Subverbs =
                [
                    new VerbSpec("list", "List devices") { SupportsJson = true },
                    new VerbSpec("add", "Add a device") { Options = [OptionSpec.Value("name", "NAME", "Name of the new device")] },
                    new VerbSpec("rename", "Rename a device") { Arguments = [new("old", "Current name"), new("new", "New name")] },
                    new VerbSpec("delete", "Delete a device") { Arguments = [new("name", "Device name")] },
                ],
            },
            new VerbSpec("api", "REST API keys")
            {
                Subverbs =
                [
                    new VerbSpec("list", "List API keys") { SupportsJson = true },
                    new VerbSpec("add", "Create an API key and print its secret") { Options = [OptionSpec.Value("name", "NAME", "Name of the new key")] },
                    new VerbSpec("rename", "Rename an API key") { Arguments = [new("old", "Current name"), new("new", "New name")] },
                    new VerbSpec("delete", "Delete an API key") { Arguments = [new("name", "Key name")] },
                ],
            },
            new VerbSpec("generate", "Write WireGuard or OpenVPN config files (a zip archive when several)")
            {
                Options =
                [
                    OptionSpec.Value("server", "SERVER|COUNTRY", "Server name or country code; repeatable", 's') with { Repeatable = true, Required = true },
                    OptionSpec.Value("protocol", "PROTO-PORT", "wg, wg-PORT, openvpn-udp-PORT or openvpn-tcp-PORT (default: the WireGuard mode connect uses); repeatable", 'p') with { Repeatable = true },
                    OptionSpec.Value("output", "FILE", "File to write (default: standard output for one config, airvpn-configs.zip for several)", 'o'),
                    OptionSpec.Value("key", "DEVICE", "Device whose key the configs use; default: default_device or the first"),
                ],
            },
        ],
    };
}
