using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Plugins.WgConf;

/// <summary><c>wgconf connect --file F | --profile N [--save-as N]</c>.</summary>
public sealed class WgConfConnectOptions : ConnectOptions
{
    [Option('f', "file", MetaValue = "FILE", HelpText = "connect with this WireGuard config file")]
    public string? File { get; set; }

    [Option('p', "profile", MetaValue = "NAME", HelpText = "connect with a saved profile (the server name may be given instead)")]
    public string? Profile { get; set; }

    [Option("save-as", MetaValue = "NAME", HelpText = "also save --file as a profile with this name")]
    public string? SaveAs { get; set; }
}

[Verb("save", HelpText = "Check a WireGuard config file and save it as a profile")]
public sealed class SaveOptions
{
    [Option('f', "file", Required = true, MetaValue = "FILE", HelpText = "the WireGuard config file")]
    public string File { get; set; } = "";

    [Option('n', "name", Required = true, MetaValue = "NAME", HelpText = "the profile's name")]
    public string Name { get; set; } = "";
}

[Verb("list", HelpText = "List saved profiles")]
public sealed class ListOptions : JsonVerbOptions;

[Verb("remove", HelpText = "Delete a saved profile")]
public sealed class RemoveOptions
{
    [Value(0, MetaName = "name", Required = true, HelpText = "the profile to delete")]
    public string Name { get; set; } = "";
}
