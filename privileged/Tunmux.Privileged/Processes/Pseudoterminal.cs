using System.Runtime.InteropServices;
using System.Text;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// A pseudoterminal for a program the daemon starts for a caller who is at a terminal: the program gets the
/// slave side as its controlling terminal (its own session, so Ctrl-C and window sizes reach it through the
/// terminal driver), and the caller's client gets the master side and relays it to the caller's own terminal,
/// as sudo's use_pty and ssh do. The slave belongs to the caller (group tty, 0620) like a login's terminal.
/// </summary>
public sealed unsafe partial class Pseudoterminal : IDisposable
{
    private const int ORdwr = 2, ONoctty = 0x100, OCloexec = 0x80000;
    private const uint Tiocswinsz = 0x5414;

    private Pseudoterminal(int master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
    }

    /// <summary>The master side (close-on-exec); -1 once handed over.</summary>
    public int Master { get; private set; }

    /// <summary>The slave's path (<c>/dev/pts/N</c>), which the program opens as its controlling terminal.</summary>
    public string SlavePath { get; }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int Grantpt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int Unlockpt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int PtsnameR(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chmod(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ushort* argument);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Opens a pair whose slave belongs to <paramref name="uid"/>, with the caller's window size.</summary>
    public static Pseudoterminal Open(uint uid, uint ttyGroup, ushort rows, ushort columns)
    {
        var master = PosixOpenpt(ORdwr | ONoctty | OCloexec);
        if (master < 0) throw Error("posix_openpt");
        try
        {
            if (Grantpt(master) != 0) throw Error("grantpt");
            if (Unlockpt(master) != 0) throw Error("unlockpt");
            var buffer = stackalloc byte[128];
            if (PtsnameR(master, buffer, 128) != 0) throw Error("ptsname");
            var slave = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(buffer, 128)[..new ReadOnlySpan<byte>(buffer, 128).IndexOf((byte)0)]);
            if (!slave.StartsWith("/dev/pts/", StringComparison.Ordinal)) throw new IOException($"unexpected terminal path {slave}");
            if (Chown(slave, uid, ttyGroup) != 0) throw Error("chown " + slave);
            if (Chmod(slave, 0b110_010_000) != 0) throw Error("chmod " + slave);
            var pty = new Pseudoterminal(master, slave);
            if (rows > 0 && columns > 0) SetWindowSize(master, rows, columns);
            return pty;
        }
        catch
        {
            Close(master);
            throw;
        }
    }

    /// <summary>Sets the terminal's size on its master side: the program gets SIGWINCH from the driver.</summary>
    public static void SetWindowSize(int master, ushort rows, ushort columns)
    {
        var size = stackalloc ushort[4] { rows, columns, 0, 0 };
        Ioctl(master, Tiocswinsz, size);
    }

    /// <summary>Gives up the master descriptor (sent to the client, closed by the caller of this).</summary>
    public int Release()
    {
        var m = Master;
        Master = -1;
        return m;
    }

    public void Dispose()
    {
        if (Master >= 0) Close(Master);
        Master = -1;
    }

    private static IOException Error(string what) =>
        new($"{what} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
