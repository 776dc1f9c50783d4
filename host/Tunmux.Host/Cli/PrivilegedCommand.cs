using System.Text.RegularExpressions;
using Tunmux.Privileged;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Host.Cli;

/// <summary><c>tunmux privileged --serve ...</c>: parses the daemon's flags and runs it.</summary>
internal static partial class PrivilegedCommand
{
    private const string Path = "tunmux privileged";

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")]
    private static partial Regex GroupNamePattern();

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var flags = Parse(args);
        return await PrivilegedEntry.ServeAsync(flags, cancellationToken);
    }

    /// <summary>The daemon's options, or a <see cref="UsageException"/> naming the bad word.</summary>
    public static DaemonOptions Parse(string[] args)
    {
        var usage = HelpWriter.UsageLine(HostVerbs.Privileged, Path);
        var o = ArgParser.Parse(HostVerbs.Privileged, args, Path);
        if (!o.Has("serve")) throw new UsageException($"missing flag '--serve' for '{Path}'", usage);
        var group = o.Get("authorized-group");
        if (group is not null && !GroupNamePattern().IsMatch(group))
            throw new UsageException($"invalid --authorized-group '{group}': expected a group name like 'tunmux'", usage);
        return new DaemonOptions
        {
            Stdio = o.Has("stdio"),
            Autostarted = o.Has("autostarted"),
            AuthorizedGroup = group,
            IdleTimeoutMs = o.GetInteger("idle-timeout-ms") is { } ms ? (int)ms : null,
        };
    }
}
