using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged;

/// <summary>Entry points of the root side, called by the <c>tunmux</c> executable.</summary>
public static class PrivilegedEntry
{
    /// <summary>
    /// Builds the tunnel service the daemon hands validated intents to: the one place the
    /// backends and the proxy runtime are wired in (tests may swap it).
    /// </summary>
    public static Func<DaemonOptions, ITunnelService> TunnelServiceFactory { get; set; } = options =>
    {
        var pids = new ManagedPids(options.Paths.ManagedPidsDir);
        var runner = ProcessRunner.Default;
        return new TunnelService(options.Paths, pids, new ProxyLauncher(options.Paths, pids, runner), runner);
    };

    /// <summary>Runs the daemon until it is told to stop; returns the exit code.</summary>
    public static async Task<int> ServeAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("error: the privileged daemon runs on Linux only");
            return 1;
        }
        // Root must never pick up a program from the caller's folder or PATH (sudo, setsid and the stdio
        // helper pass both on): work from /, with the system folders only, before anything is started.
        Directory.SetCurrentDirectory("/");
        Environment.SetEnvironmentVariable("PATH", SystemPaths.SearchPath);
        DaemonLog log;
        try
        {
            log = DaemonLog.Open(options.Paths.DaemonLogFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot open the daemon log {options.Paths.DaemonLogFile} (the daemon must run as root)");
            return 1;
        }
        using (log)
        {
            try
            {
                var daemon = new PrivilegedDaemon(options, TunnelServiceFactory(options), log);
                return await daemon.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Trimmed builds may carry bare resource keys as exception messages; say the common case plainly.
                var message = e is UnauthorizedAccessException
                    ? $"permission denied on {options.Paths.RuntimeDir} or {options.Paths.StateDir} (the daemon must run as root)"
                    : e.Message;
                log.Error("privileged daemon failed: " + message);
                Console.Error.WriteLine("error: privileged daemon failed: " + message);
                return 1;
            }
        }
    }

    /// <summary>Runs one proxy process (<c>tunmux privileged proxy ...</c>, started by the daemon inside a namespace).</summary>
    public static Task<int> RunProxyAsync(string[] args, CancellationToken cancellationToken) =>
        Proxy.Runtime.ProxyProcess.RunAsync(args, cancellationToken);
}
