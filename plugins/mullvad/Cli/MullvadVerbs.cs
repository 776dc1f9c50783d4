using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Mullvad.Cli;

/// <summary><c>mullvad login [account] [--account-stdin] [--force] [--replace NAME]</c>.</summary>
public sealed class MullvadLoginOptions : LoginOptions
{
    /// <summary>The account number as the argument: optional, since standard input, the environment or a prompt keep it out of the shell history.</summary>
    [Value(0, MetaName = "account", Required = false, HelpText = "account number (16 digits); prefer --account-stdin, TUNMUX_MULLVAD_ACCOUNT or the prompt")]
    public override string Username { get; set; } = "";

    /// <summary>The account number given as the argument (it lands in the shell history; a warning says so).</summary>
    public string? Account => string.IsNullOrWhiteSpace(Username) ? null : Username;

    [Option("account-stdin", HelpText = "read the account number from the first line of standard input (kept out of shell history)")]
    public bool AccountStdin { get; set; }

    [Option("force", HelpText = "at the device limit, remove the oldest device (or the one named by --replace) to make room")]
    public bool Force { get; set; }

    [Option("replace", MetaValue = "NAME", HelpText = "at the device limit, remove this device (implies --force)")]
    public string? Replace { get; set; }
}

/// <summary><c>mullvad servers</c> with a city filter.</summary>
public sealed class MullvadServersOptions : ServersOptions
{
    [Option("city", MetaValue = "CITY", HelpText = "only relays in this city (name or Mullvad's code, e.g. got)")]
    public string? City { get; set; }
}

/// <summary><c>mullvad connect</c> with a city filter and the WireGuard port.</summary>
public sealed class MullvadConnectOptions : ConnectOptions
{
    [Option("city", MetaValue = "CITY", HelpText = "only relays in this city (name or Mullvad's code, e.g. got)")]
    public string? City { get; set; }

    [Option("port", MetaValue = "PORT", HelpText = "WireGuard port on the relay (default 51820; any port of the relay list's ranges)")]
    [Range(1, 65535)]
    public int? Port { get; set; }
}

/// <summary><c>mullvad create-account [--json]</c>.</summary>
[Verb("create-account", HelpText = "Create a Mullvad account (no payment needed; add time later) and log this device in to it")]
public sealed class MullvadCreateAccountOptions : JsonVerbOptions;
