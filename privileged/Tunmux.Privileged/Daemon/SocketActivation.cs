using System.Globalization;
using System.Net.Sockets;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// The systemd socket-activation convention: when <c>LISTEN_PID</c> names this process and <c>LISTEN_FDS</c>
/// is at least 1, descriptor 3 is a listening socket handed over by the service manager.
/// </summary>
public static class SocketActivation
{
    public const int FirstFd = 3;

    /// <summary>The inherited listener, or null when the process was not socket-activated.</summary>
    public static Socket? TryTakeListener()
    {
        var pidText = Environment.GetEnvironmentVariable("LISTEN_PID");
        var fdsText = Environment.GetEnvironmentVariable("LISTEN_FDS");
        if (pidText is null || fdsText is null) return null;
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != Environment.ProcessId) return null;
        if (!int.TryParse(fdsText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1) return null;

        // The variables describe this process only; the programs the daemon starts must not see them.
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        for (var fd = FirstFd; fd < FirstFd + count; fd++) Posix.SetCloseOnExec(fd);

        var socket = new Socket(new SafeSocketHandle(FirstFd, ownsHandle: true));
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            socket.Dispose();
            throw new InvalidOperationException("the socket handed over by the service manager is not a Unix stream socket");
        }
        return socket;
    }
}
