using Tunmux.Privileged.Daemon;

namespace Tunmux.Privileged;

/// <summary>Entry points of the root side, called by the <c>tunmux</c> executable.</summary>
public static class PrivilegedEntry
{
    /// <summary>Runs the daemon until it is told to stop; returns the exit code.</summary>
    public static Task<int> ServeAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("error: privileged daemon not implemented yet");
        return Task.FromResult(1);
    }

    /// <summary>Runs one proxy process (<c>tunmux privileged proxy ...</c>, started by the daemon inside a namespace).</summary>
    public static Task<int> RunProxyAsync(string[] args, CancellationToken cancellationToken) =>
        Proxy.Runtime.ProxyProcess.RunAsync(args, cancellationToken);
}
