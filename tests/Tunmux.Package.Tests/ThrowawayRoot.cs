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

    /// <summary>Runs <paramref name="script"/> with /bin/sh as root inside, in a clean environment (PATH of the system folders only).</summary>
    public LabResult Run(string script, int timeoutMs = 5 * 60_000) =>
        Lab.Run("bash", [_script, _dir.Path, Packages, "/bin/sh", "-c", script], timeoutMs: timeoutMs);

    /// <summary>The files the root changed so far, relative to its top (whiteouts of deleted files included).</summary>
    public IReadOnlySet<string> Changed() =>
        Directory.Exists(Upper)
            ? Directory.EnumerateFileSystemEntries(Upper, "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || new DirectoryInfo(p).LinkTarget is not null)
                .Select(p => "/" + Path.GetRelativePath(Upper, p)).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    public void Dispose()
    {
        EndDaemon();
        _dir.Dispose();
    }

    /// <summary>A daemon started inside records its PID (a PID of this machine: no PID namespace) in its lock file.</summary>
    private void EndDaemon()
    {
        var lockFile = _dir.Combine("run", "tunmux", "daemon.lock");
        if (!File.Exists(lockFile)) return;
        if (!int.TryParse(File.ReadLines(lockFile).FirstOrDefault(), out var pid)) return;
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            if (!cmdline.Contains("privileged\0--serve", StringComparison.Ordinal)) return;
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(10_000);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            // Already gone.
        }
    }
}
