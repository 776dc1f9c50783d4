using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// Direct mode's <c>/etc/resolv.conf</c> as root touches it: the path's final target is resolved once (it is
/// often a link to systemd-resolved's or resolvconf's file) and recorded; a target some other user owns is
/// refused; it is opened with <c>O_NOFOLLOW</c>, so a link put there later is not followed; and it is written
/// in place (truncate and write: it may be a bind mount). On restore, a file that did not exist is removed.
/// </summary>
internal static partial class ResolvConfFile
{
    private const int OWronly = 1, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, ONofollow = 0x20000, OCloexec = 0x80000;

    /// <summary>The real file behind <paramref name="path"/>; throws when it is not root's to write.</summary>
    public static string Resolve(string path)
    {
        var target = Processes.SystemPaths.Stat(path) is null
            ? Path.GetFullPath(path)
            : new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        if (Processes.SystemPaths.Stat(target) is { } st)
        {
            if (st.Uid != 0)
                throw new CommandFailedException(
                    $"{path} leads to {target}, which belongs to uid {st.Uid}, not root; refusing to write DNS there (fix its owner or the link)");
        }
        else if (!Processes.SystemPaths.RootOwnedNotShared(Path.GetDirectoryName(target)!, requireExecutable: false))
        {
            // A file to create: only in a folder no one but root may write.
            throw new CommandFailedException($"{path} leads to {target}, in a folder others may write; refusing to create DNS there");
        }
        return target;
    }

    /// <summary>Writes <paramref name="content"/> into the file at <paramref name="target"/>, creating it when <paramref name="create"/>.</summary>
    public static void Write(string target, byte[] content, bool create)
    {
        var fd = Open(target, OWronly | ONofollow | OCloexec | (create ? OCreat | OExcl : OTrunc), 0b110_100_100);
        if (fd < 0)
            throw new CommandFailedException($"cannot write {target} (errno {Marshal.GetLastPInvokeError()}); it may have been replaced by a link");
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        using var stream = new FileStream(handle, FileAccess.Write);
        stream.SetLength(0);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);
}
