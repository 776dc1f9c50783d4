using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

/// <summary>
/// A Debian root to install the package into, made for one fixture: this machine's root file system
/// under an overlay whose writable layer is a folder of this object (<c>throwaway-root.sh</c>), so
/// dpkg, the maintainer scripts and the installed tunmux change only that folder. Each
/// <see cref="Run"/> mounts it afresh in a mount namespace of its own, which ends with the command;
/// <see cref="Dispose"/> ends any daemon started inside by its PID and deletes the folder.
/// </summary>
public sealed class ThrowawayRoot : IDisposable
{
    private readonly TempDir _dir = new("tunmux-throwaway-root-");
    private readonly string _script = Path.Combine(AppContext.BaseDirectory, "throwaway-root.sh");

    public ThrowawayRoot()
    {
        Directory.CreateDirectory(Packages);
    }

    /// <summary>A host folder shown read-only at <c>/mnt/package</c> inside.</summary>
    public string Packages => _dir.Combine("packages");

    /// <summary>The overlay's writable layer: everything the root changed, and nothing else.</summary>
    public string Upper => _dir.Combine("upper");

    /// <summary>
    /// Runs <paramref name="script"/> with /bin/sh as root inside, in a clean environment (PATH of the system folders only);
    /// with <paramref name="networkNamespace"/>, in that network namespace of this machine (a lab's host stand-in).
    /// </summary>
    public LabResult Run(string script, int timeoutMs = 5 * 60_000, string? networkNamespace = null) =>
        networkNamespace is null
            ? Lab.Run("bash", [_script, _dir.Path, Packages, "/bin/sh", "-c", script], timeoutMs: timeoutMs)
            : Lab.Run("nsenter", ["--net=/run/netns/" + networkNamespace, "bash", _script, _dir.Path, Packages, "/bin/sh", "-c", script], timeoutMs: timeoutMs);

    /// <summary>The files the root changed so far, relative to its top (whiteouts of deleted files included).</summary>
    public IReadOnlySet<string> Changed() =>
        Directory.Exists(Upper)
            ? Directory.EnumerateFileSystemEntries(Upper, "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || new DirectoryInfo(p).LinkTarget is not null)
                .Select(p => "/" + Path.GetRelativePath(Upper, p)).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    public void Dispose()
    {
        // Everything inside, the daemon included; the lock file the daemon holds is readable only after that.
        EndProcessesInside();
        EndDaemon();
        _dir.Dispose();
    }

    /// <summary>A process of this machine whose root folder is this root's.</summary>
    public sealed record Inside(int Pid, string CommandLine);

    /// <summary>The processes running inside now (PIDs of this machine: there is no PID namespace).</summary>
    public IReadOnlyList<Inside> ProcessesInside()
    {
        var top = _dir.Combine("root");
        var inside = new List<Inside>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (new DirectoryInfo(Path.Combine(d, "root")).LinkTarget == top)
                    inside.Add(new Inside(pid, File.ReadAllText(Path.Combine(d, "cmdline"))));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or a kernel thread.
            }
        }
        return inside;
    }

    /// <summary>
    /// Whatever else still runs inside (a tunnel's wireguard-go or proxy a failed test left), by PID.
    /// The network namespaces mounted inside go with the last of them.
    /// </summary>
    private void EndProcessesInside()
    {
        foreach (var signal in new[] { "TERM", "KILL" })
        {
            var inside = ProcessesInside();
            if (inside.Count == 0) return;
            Lab.Run("kill", ["-s", signal, .. inside.Select(p => p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            Thread.Sleep(300);
        }
    }

    /// <summary>A daemon started inside records its PID (a PID of this machine: no PID namespace) in its lock file.</summary>
    private void EndDaemon()
    {
        var lockFile = _dir.Combine("run", "tunmux", "daemon.lock");
        try
        {
            if (!File.Exists(lockFile) || !int.TryParse(File.ReadLines(lockFile).FirstOrDefault(), out var pid)) return;
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            if (!cmdline.Contains("privileged\0--serve", StringComparison.Ordinal)) return;
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(10_000);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            // Already gone, or its lock file still held: then it was ended with the rest above.
        }
    }
}
