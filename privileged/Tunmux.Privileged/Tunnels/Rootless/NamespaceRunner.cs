using Tunmux.Privileged.Processes;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// Runs the tunnel steps' commands inside a rootless exit: <c>nsenter</c> into the holder's user, network
/// and mount namespaces, where the user is root of its own namespace (the kernel's CAP_NET_ADMIN there,
/// nothing on the host). The same steps the daemon runs as root, with this runner instead.
/// </summary>
internal sealed class NamespaceRunner(ICommandRunner inner, string nsenter, Func<int?> holder) : ICommandRunner
{
    public Task<ProcessResult> RunAsync(string file, IReadOnlyList<string> args, string? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        if (holder() is not { } pid)
            return Task.FromResult(new ProcessResult(1, "", "the exit's namespaces are gone (its holder process is not running)"));
        return inner.RunAsync(nsenter, [.. EnterArgs(pid), file, .. args], stdin, timeout, environment, cancellationToken);
    }

    /// <summary>
    /// <c>nsenter</c>'s arguments up to the program. <c>--preserve-credentials</c>: the user is already uid 0 of
    /// the namespace (its only mapping), and the namespace denies setgroups, which nsenter would otherwise call.
    /// </summary>
    public static IReadOnlyList<string> EnterArgs(int holderPid) =>
        ["--preserve-credentials", "--target", holderPid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--user", "--net", "--mount", "--"];
}
