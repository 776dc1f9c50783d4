using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// A handle on one process (pidfd_open), so that signals reach that process and never a later one that
/// was given the same PID. Linux 5.3 and glibc 2.36 or later.
/// </summary>
internal sealed partial class PidFd : IDisposable
{
    private int _fd;

    private PidFd(int fd) => _fd = fd;

    /// <summary>A handle on <paramref name="pid"/>, or null when no such process exists.</summary>
    public static PidFd? Open(int pid)
    {
        var fd = PidfdOpen(pid, 0);
        return fd < 0 ? null : new PidFd(fd);
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process has exited.</summary>
    public bool Signal(int signal) => PidfdSendSignal(_fd, signal, IntPtr.Zero, 0) == 0;

    /// <summary>True while the process runs (signal 0 checks without sending anything). A zombie counts as exited.</summary>
    public bool IsRunning(int pid) => Signal(0) && Tunnels.ProcessControl.IsRunning(pid);

    public void Dispose()
    {
        if (_fd >= 0) Close(_fd);
        _fd = -1;
    }

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int PidfdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "pidfd_send_signal", SetLastError = true)]
    private static partial int PidfdSendSignal(int pidfd, int signal, IntPtr info, uint flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
