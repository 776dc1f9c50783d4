using System.Runtime.InteropServices;

namespace Tunmux.Host.Storage;

/// <summary>The few POSIX calls .NET does not offer: effective uid, chown, and fsync of a folder.</summary>
internal static partial class PosixFiles
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux value; only used on Linux (macOS falls through to no-op)

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>
    /// The user who should own files written now: under sudo (effective uid 0 with SUDO_UID set)
    /// the invoking user, so a later run without sudo can still read and replace them; otherwise null.
    /// </summary>
    internal static (uint Uid, uint Gid)? SudoInvoker()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        if (GetEuid() != 0) return null;
        if (!uint.TryParse(Environment.GetEnvironmentVariable("SUDO_UID"), out var uid) || uid == 0) return null;
        var gid = uint.TryParse(Environment.GetEnvironmentVariable("SUDO_GID"), out var g) ? g : uid;
        return (uid, gid);
    }

    internal static void ChownOrThrow(string path, (uint Uid, uint Gid) owner)
    {
        if (Chown(path, owner.Uid, owner.Gid) != 0)
            throw new IOException(
                $"cannot give {path} to uid {owner.Uid}: {Marshal.GetLastPInvokeErrorMessage()}; check the folder's owner or run without sudo");
    }

    /// <summary>Makes a rename inside <paramref name="dir"/> durable. Best effort: a failure here loses no data already renamed.</summary>
    internal static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(dir, ORdOnly | ODirectory);
        if (fd < 0) return;
        Fsync(fd);
        Close(fd);
    }
}
