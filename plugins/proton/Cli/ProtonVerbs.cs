using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Proton.Cli;

/// <summary><c>proton login</c> with Proton's second factor.</summary>
public sealed class ProtonLoginOptions : LoginOptions
{
    [Option("totp", MetaValue = "CODE", HelpText = "two-factor code (otherwise prompted when the account needs one)")]
    public string? Totp { get; set; }

    [Option("totp-secret-file", MetaValue = "FILE", HelpText = "file with the TOTP secret (base32 or otpauth:// URI), for unattended logins")]
    public string? TotpSecretFile { get; set; }

    [Option("hv-token", MetaValue = "TOKEN", HelpText = "human verification token (token= of the verification page Proton asked to open)")]
    public string? HvToken { get; set; }

    [Option("hv-type", MetaValue = "TYPE", HelpText = "human verification method of --hv-token: captcha (default), email or sms")]
    public string? HvType { get; set; }
}

/// <summary>The server filters <c>servers</c> and <c>connect</c> share.</summary>
public interface IProtonFilters
{
    bool Free { get; }
    bool P2p { get; }
    bool SecureCore { get; }
    bool Tor { get; }
    bool Streaming { get; }
    string? City { get; }

    /// <summary>Feature tags (<c>-t secure-core,tor</c>); each adds its feature like the matching switch.</summary>
    IEnumerable<string> Tags { get; }
}

/// <summary><c>proton servers</c> with Proton's filters.</summary>
public sealed class ProtonServersOptions : ServersOptions, IProtonFilters
{
    [Option('f', "free", HelpText = "only free-tier servers")]
    public bool Free { get; set; }

    [Option("p2p", HelpText = "only P2P servers")]
    public bool P2p { get; set; }

    [Option("secure-core", HelpText = "only Secure Core servers (entry through a second country)")]
    public bool SecureCore { get; set; }

    [Option("tor", HelpText = "only Tor servers")]
    public bool Tor { get; set; }

    [Option("streaming", HelpText = "only servers for streaming")]
    public bool Streaming { get; set; }

    [Option("city", MetaValue = "CITY", HelpText = "only servers in this city")]
    public string? City { get; set; }

    [Option('t', "tag", MetaValue = "TAGS", Separator = ',', HelpText = "only servers with these features: secure-core, tor, p2p, streaming, ipv6 (comma-separated or repeated)")]
    [System.ComponentModel.DataAnnotations.AllowedValues("secure-core", "tor", "p2p", "streaming", "ipv6")]
    public IEnumerable<string> Tags { get; set; } = [];
}

/// <summary><c>proton connect</c> with Proton's filters.</summary>
public sealed class ProtonConnectOptions : ConnectOptions, IProtonFilters
{
    [Option("free", HelpText = "only free-tier servers")]
    public bool Free { get; set; }

    [Option("p2p", HelpText = "only P2P servers")]
    public bool P2p { get; set; }

    [Option("secure-core", HelpText = "only Secure Core servers (entry through a second country)")]
    public bool SecureCore { get; set; }

    [Option("tor", HelpText = "only Tor servers")]
    public bool Tor { get; set; }

    [Option("streaming", HelpText = "only servers for streaming")]
    public bool Streaming { get; set; }

    [Option("city", MetaValue = "CITY", HelpText = "only servers in this city")]
    public string? City { get; set; }

    [Option("port-forward", HelpText = "a P2P server with port forwarding turned on for this device's certificate")]
    public bool PortForward { get; set; }

    IEnumerable<string> IProtonFilters.Tags => [];
}

/// <summary><c>proton features [--netshield 0|1|2] [--port-forward on|off] [--moderate-nat on|off] [--vpn-accelerator on|off]</c>.</summary>
[Verb("features", HelpText = "Show or change this device's certificate features")]
public sealed class FeaturesOptions : JsonVerbOptions
{
    [Option("netshield", MetaValue = "LEVEL", HelpText = "0 (off), 1 (malware) or 2 (malware, ads, trackers)")]
    [System.ComponentModel.DataAnnotations.AllowedValues("0", "1", "2")]
    public string? NetShield { get; set; }

    [Option("port-forward", MetaValue = "on|off", HelpText = "NAT-PMP port forwarding")]
    [System.ComponentModel.DataAnnotations.AllowedValues("on", "off", "true", "false", "1", "0", "yes", "no")]
    public string? PortForward { get; set; }

    [Option("moderate-nat", MetaValue = "on|off", HelpText = "moderate NAT (for games and calls)")]
    [System.ComponentModel.DataAnnotations.AllowedValues("on", "off", "true", "false", "1", "0", "yes", "no")]
    public string? ModerateNat { get; set; }

    [Option("vpn-accelerator", MetaValue = "on|off", HelpText = "VPN Accelerator")]
    [System.ComponentModel.DataAnnotations.AllowedValues("on", "off", "true", "false", "1", "0", "yes", "no")]
    public string? VpnAccelerator { get; set; }
}

/// <summary><c>proton certificates [list] [--json]</c> and <c>proton certificates revoke SERIAL</c>.</summary>
[Verb("certificates", HelpText = "The account's persistent certificates (one per device)")]
[Subverbs(typeof(CertificatesList), typeof(CertificatesRevoke))]
public sealed class CertificatesGroup;

[Verb("list", isDefault: true, HelpText = "List the certificates (the default)")]
public sealed class CertificatesList : JsonVerbOptions;

[Verb("revoke", HelpText = "Revoke a certificate")]
public sealed class CertificatesRevoke
{
    [Value(0, MetaName = "serial", Required = true, HelpText = "serial number (see 'tunmux proton certificates')")]
    public string Serial { get; set; } = "";
}
