using Tunmux.Host.Config;
using Tunmux.Host.Exec;
using Tunmux.Host.Rootless;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux exec &lt;instance&gt; [--] &lt;command&gt; [args...]</c>: runs a program inside a proxy exit's
/// namespace as the calling user, so all its traffic and its DNS go through that exit. A rootless exit is
/// entered directly (the user's own namespaces; this process becomes the program); a root-mode exit asks the
/// daemon, which starts the program as the caller (<see cref="DaemonExec"/>). The exit code is the program's.
/// </summary>
internal sealed class ExecCommand(TunmuxPaths paths, Func<GeneralConfig> general)
{
    public async Task<int> RunAsync(string instance, IReadOnlyList<string> command, CancellationToken ct)
    {
        var state = new ConnectionStore(paths).List().FirstOrDefault(s => s.Instance == instance);
        if (state is null)
        {
            // Not one of this user's: root may run programs in anyone's root-mode exit, and anyone else is told by the
            // daemon whether it exists and whose it is. Without a running daemon it is simply unknown.
            if (!File.Exists(DaemonAccess.Options(general()).Paths.SocketPath)) throw NotFound(instance);
            return await DaemonExec.RunAsync(instance, ResolveProgram(command[0]), [.. command.Skip(1)], general(), ct);
        }
        if (!state.IsProxy)
            throw new InvalidOperationException(
                $"{instance} is a direct connection: every program already goes through it; exec runs a program inside a proxy exit");

        if (state.Backend == RootlessExits.Backend)
        {
            var (nsenter, argv) = RootlessExits.Service(general()).ExecCommand(
                instance, command, Environment.CurrentDirectory, Native.GetUid(), Native.GetGid());
            ProcessImage.Replace(nsenter, argv);
        }
        return await DaemonExec.RunAsync(instance, ResolveProgram(command[0]), [.. command.Skip(1)], general(), ct);
    }

    /// <summary>
    /// The program as the caller's shell would find it: a name with a slash relative to the working folder, else
    /// the first executable file of that name in the caller's PATH. The daemon runs only what is named by absolute
    /// path, and the program is executed as the caller, so the caller's own permissions decide whether it may run.
    /// </summary>
    private static string ResolveProgram(string name)
    {
        if (name.Contains('/'))
        {
            var full = Path.GetFullPath(name);
            return File.Exists(full) ? full : throw new InvalidOperationException($"cannot run {name}: no such file");
        }
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return Path.GetFullPath(candidate);
        }
        throw new InvalidOperationException($"cannot run {name}: command not found in PATH");
    }

    private InvalidOperationException NotFound(string instance)
    {
        var known = new ConnectionStore(paths).List().Where(s => s.IsProxy).Select(s => s.Instance).ToList();
        return new InvalidOperationException(
            $"no proxy exit named '{instance}'; {(known.Count == 0 ? "there are none" : "active: " + string.Join(", ", known))}");
    }
}
