using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Rootless;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux exec &lt;instance&gt; [--] &lt;command&gt; [args...]</c>: runs a program inside a proxy exit's
/// namespace as the calling user, so all its traffic and its DNS go through that exit. A rootless exit is
/// entered directly (the user's own namespaces); a root-mode exit asks the daemon, which starts the program
/// as the caller.
/// </summary>
internal sealed class ExecCommand(TunmuxPaths paths, IConsoleIO console, Func<GeneralConfig> general)
{
    public Task<int> RunAsync(string instance, IReadOnlyList<string> command, CancellationToken ct)
    {
        if (command.Count == 0)
            throw new UsageException("exec needs a command to run", "usage: tunmux exec <instance> [--] <command> [args...]");
        var state = new ConnectionStore(paths).List().FirstOrDefault(s => s.Instance == instance) ?? throw NotFound(instance);
        if (!state.IsProxy)
            throw new InvalidOperationException(
                $"{instance} is a direct connection: every program already goes through it; exec runs a program inside a proxy exit");

        if (state.Backend == RootlessExits.Backend)
        {
            var (file, argv) = RootlessExits.Service(general()).ExecCommand(
                instance, command, Environment.CurrentDirectory, Native.GetUid(), Native.GetGid());
            ProcessImage.Replace(file, argv);
        }
        _ = console;
        _ = ct;
        throw new InvalidOperationException($"exec into {instance}: running a program in a root-mode exit is not supported in this version yet; use its proxies, or a rootless exit (connect --proxy --rootless)");
    }

    private InvalidOperationException NotFound(string instance)
    {
        var known = new ConnectionStore(paths).List().Where(s => s.IsProxy).Select(s => s.Instance).ToList();
        return new InvalidOperationException(
            $"no proxy exit named '{instance}'; {(known.Count == 0 ? "there are none" : "active: " + string.Join(", ", known))}");
    }
}
