namespace Tunmux.Privileged.Processes;

/// <summary>
/// How the tunnel steps run a program. The daemon runs them as itself (<see cref="ProcessRunner"/>);
/// a rootless exit runs the same steps inside the user's own namespaces (<c>Tunnels/Rootless/NamespaceRunner</c>),
/// so each step is written once.
/// </summary>
public interface ICommandRunner
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> (never a shell line) and returns its output.</summary>
    Task<ProcessResult> RunAsync(
        string file,
        IReadOnlyList<string> args,
        string? stdin = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default);
}
