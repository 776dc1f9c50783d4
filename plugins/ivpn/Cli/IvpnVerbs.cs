using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Ivpn.Cli;

/// <summary><c>ivpn login [account] [--account-stdin] [--force] [--totp CODE | --totp-secret-file FILE]</c>.</summary>
public sealed class IvpnLoginOptions : LoginOptions
{
    /// <summary>The account ID as the argument: optional, since standard input, the environment or a prompt keep it out of the shell history.</summary>
    [Value(0, MetaName = "account", Required = false, HelpText = "account ID (i-XXXX-XXXX-XXXX); prefer --account-stdin, TUNMUX_IVPN_ACCOUNT or the prompt")]
    public override string Username { get; set; } = "";

    /// <summary>The account ID given as the argument (it lands in the shell history; a warning says so).</summary>
    public string? Account => string.IsNullOrWhiteSpace(Username) ? null : Username;

    [Option("account-stdin", HelpText = "read the account ID from the first line of standard input (kept out of shell history)")]
    public bool AccountStdin { get; set; }

    [Option("force", HelpText = "at the session limit, log out all the account's other devices")]
    public bool Force { get; set; }

    [Option("totp", MetaValue = "CODE", HelpText = "two-factor code (otherwise prompted when the account needs one)")]
    public string? Totp { get; set; }

    [Option("totp-secret-file", MetaValue = "FILE", HelpText = "file with the TOTP secret (base32 or otpauth:// URI), for unattended logins")]
    public string? TotpSecretFile { get; set; }
}

/// <summary><c>ivpn servers</c> with a city filter.</summary>
public sealed class IvpnServersOptions : ServersOptions
{
    [Option("city", MetaValue = "CITY", HelpText = "only servers in this city")]
    public string? City { get; set; }
}

/// <summary><c>ivpn connect</c> with a city filter and the WireGuard port.</summary>
public sealed class IvpnConnectOptions : ConnectOptions
{
    [Option("city", MetaValue = "CITY", HelpText = "only servers in this city")]
    public string? City { get; set; }

    [Option("port", MetaValue = "PORT", HelpText = "WireGuard UDP port (default 2049; any port servers.json lists)")]
    [Range(1, 65535)]
    public int? Port { get; set; }
}

/// <summary><c>ivpn create-account [--product standard|pro] [--json]</c>.</summary>
[Verb("create-account", HelpText = "Create an IVPN account on the web site (no payment needed; it is inactive until time is added)")]
public sealed class IvpnCreateAccountOptions : JsonVerbOptions
{
    [Option("product", MetaValue = "PLAN", Default = "standard", HelpText = "standard or pro")]
    [AllowedValues("standard", "pro")]
    public string Product { get; set; } = "standard";
}
