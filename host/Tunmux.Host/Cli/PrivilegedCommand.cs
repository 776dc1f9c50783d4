using System.Text.RegularExpressions;
using Tunmux.Privileged;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Host.Cli;

/// <summary><c>tunmux privileged --serve ...</c>: checks the daemon's flags and runs it.</summary>
internal static partial class PrivilegedCommand
{
    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")]
    private static partial Regex GroupNamePattern();

    public static Task<int> RunAsync(DaemonOptions options, CancellationToken cancellationToken) =>
        PrivilegedEntry.ServeAsync(options, cancellationToken);

    /// <summary>The daemon's options, or a <see cref="UsageException"/> naming the bad word.</summary>
    public static DaemonOptions ToDaemonOptions(PrivilegedVerb verb, string usage)
    {
        if (!verb.Serve) throw new UsageException("missing flag '--serve' for 'tunmux privileged'", usage);
        if (verb.AuthorizedGroup is { } group && !GroupNamePattern().IsMatch(group))
            throw new UsageException($"invalid --authorized-group '{group}': expected a group name like 'tunmux'", usage);
        return new DaemonOptions
        {
            Stdio = verb.Stdio,
            Autostarted = verb.Autostarted,
            AuthorizedGroup = verb.AuthorizedGroup,
            IdleTimeoutMs = verb.IdleTimeoutMs,
        };
    }
}
