using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// Where root finds the programs it runs: only in fixed system folders, never in the caller's
/// current folder or PATH (which sudo, setsid and a stdio helper may all pass on). Each program is
/// resolved once to an absolute path. <c>/usr/sbin</c>, <c>/usr/bin</c>, <c>/sbin</c> and <c>/bin</c>
/// come first; <c>/usr/local/sbin</c> and <c>/usr/local/bin</c> only when the file, its real target
/// and every folder above both belong to root and no one else may write them. The same ownership
/// rule applies to the system folders, so a file some package left writable is refused too.
/// </summary>
public static unsafe partial class SystemPaths
{
    /// <summary>The system folders, in order of preference.</summary>
    public static readonly IReadOnlyList<string> SystemFolders = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>Folders an administrator installs into by hand; used only when root alone controls them.</summary>
    public static readonly IReadOnlyList<string> LocalFolders = ["/usr/local/sbin", "/usr/local/bin"];

    private static readonly ConcurrentDictionary<string, string?> Cache = new(StringComparer.Ordinal);
    private static readonly Lazy<string> LazySearchPath = new(() =>
        string.Join(':', LocalFolders.Where(IsTrustedFolder).Concat(SystemFolders)));

    /// <summary>
    /// The PATH every program the privileged side starts gets (wg-quick, for one, runs ip, wg and
    /// resolvconf by name): the trusted local folders and the system folders, nothing of the caller's.
    /// </summary>
    public static string SearchPath => LazySearchPath.Value;

    /// <summary>The absolute, trusted path of <paramref name="name"/>, or null when no trusted copy is installed.</summary>
    public static string? Find(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..") return null;
        return Cache.GetOrAdd(name, static n =>
        {
            foreach (var dir in SystemFolders.Concat(LocalFolders))
            {
                var candidate = Path.Combine(dir, n);
                if (File.Exists(candidate) && IsTrustedExecutable(candidate)) return candidate;
            }
            return null;
        });
    }

    /// <summary>The trusted path of <paramref name="name"/>, or a one-line error naming the package to install.</summary>
    public static string Require(string name, string package) =>
        Find(name) ?? throw new InvalidOperationException(
            $"'{name}' is not installed in {string.Join(", ", SystemFolders)} (or is not owned by root there); install the Debian package {package}");

    /// <summary>
    /// True when root alone controls <paramref name="path"/>: the file (and, for a symbolic link, its final
    /// target) and every folder above each belong to uid 0 and are writable by neither group nor others.
    /// </summary>
    public static bool IsTrustedExecutable(string path)
    {
        if (!Path.IsPathRooted(path)) return false;
        var target = path;
        try
        {
            if (new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true) is { } resolved) target = resolved.FullName;
        }
        catch (IOException) { return false; }
        if (!RootOwnedNotShared(target, requireExecutable: true)) return false;
        foreach (var file in target == path ? [path] : new[] { path, target })
        {
            for (var dir = Path.GetDirectoryName(file); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
                if (!IsTrustedFolder(dir)) return false;
        }
        return true;
    }

    /// <summary>A folder root owns and no one else may write (followed through symbolic links, such as /sbin on merged-usr systems).</summary>
    public static bool IsTrustedFolder(string dir)
    {
        try
        {
            var real = new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dir;
            return RootOwnedNotShared(dir, requireExecutable: false) && (real == dir || RootOwnedNotShared(real, requireExecutable: false));
        }
        catch (IOException) { return false; }
    }

    private const uint StatxMode = 0x2, StatxUid = 0x8;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Owner and mode of <paramref name="path"/> itself (a symbolic link is described, not followed), or null.</summary>
    public static (uint Uid, uint Mode)? Stat(string path)
    {
        // struct statx has the same layout on every architecture: stx_uid at 20, stx_mode at 28.
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxMode | StatxUid, buffer) != 0) return null;
        return (*(uint*)(buffer + 20), *(ushort*)(buffer + 28));
    }

    internal static bool RootOwnedNotShared(string path, bool requireExecutable)
    {
        if (Stat(path) is not { } st) return false;
        const uint typeMask = 0xF000, symlink = 0xA000, groupOrOtherWrite = 0x12; // 022
        // A symbolic link's own mode is always 0777 and means nothing; its folder's rules protect it.
        if ((st.Mode & typeMask) == symlink) return st.Uid == 0;
        if (st.Uid != 0 || (st.Mode & groupOrOtherWrite) != 0) return false;
        return !requireExecutable || (st.Mode & 0x49) != 0; // some x bit (0111)
    }

    /// <summary>Forgets earlier answers (tests that install or remove programs).</summary>
    internal static void Forget() => Cache.Clear();
}
