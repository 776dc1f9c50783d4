using System.Net.Sockets;
using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>Opens a connection to the privileged daemon, starting it first when needed and allowed.</summary>
public static class PrivilegedClient
{
    public static async Task<IPrivilegedClient> ConnectAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
            throw new PrivilegedException(ErrorCodes.NotImplemented, "the privileged daemon runs on Linux only");
        if (options.AutostopMode is not ("never" or "command" or "timeout"))
            throw new PrivilegedException(ErrorCodes.InvalidArgument,
                $"unknown privileged_autostop_mode '{options.AutostopMode}': use never, command or timeout");
        return options.Transport switch
        {
            "socket" => await ConnectSocketAsync(options, ct).ConfigureAwait(false),
            "stdio" => await StdioTransport.ConnectAsync(options, ct).ConfigureAwait(false),
            _ => throw new PrivilegedException(ErrorCodes.InvalidArgument,
                $"unknown privileged_transport '{options.Transport}': use socket or stdio"),
        };
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static async Task<IPrivilegedClient> ConnectSocketAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        if (await TryConnectAsync(options, ct).ConfigureAwait(false) is { } client) return client;
        if (!options.Autostart)
            throw new PrivilegedException(ClientErrorCodes.Unavailable, ClientMessages.AutostartDisabled);
        return await DaemonAutostart.StartAndConnectAsync(options, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A ready, authorized connection, or null when no daemon answers on the socket (missing, refusing, or
    /// closing as it stops). A daemon that answers but refuses this user is an error, not a reason to start another.
    /// </summary>
    internal static Task<IPrivilegedClient?> TryConnectAsync(PrivilegedClientOptions options, CancellationToken ct) =>
        // No socket file, no daemon: say so without a failed connect, whose exception (rethrown across the await) makes
        // the runtime read this program's debug symbols for its stack trace, a cost every `status` without a daemon paid;
        // and without the socket library, which the connecting method's state machine loads (a method of its own).
        SocketExists(options) ? ConnectToSocketAsync(options, ct) : Task.FromResult<IPrivilegedClient?>(null);

    /// <summary>Whether the daemon's socket is there at all (no socket file, no daemon to ask).</summary>
    internal static bool SocketExists(PrivilegedClientOptions options) => File.Exists(options.Paths.SocketPath);

    private static async Task<IPrivilegedClient?> ConnectToSocketAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(options.Paths.SocketPath), ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            // The socket is 0660 root:<group>: the kernel itself turns away users outside the group.
            if (e.SocketErrorCode == SocketError.AccessDenied)
                throw new PrivilegedException(ErrorCodes.Unauthorized, ClientMessages.Denied);
            return null;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        var client = new ProtocolClient(stream, stream, stream, options.AutostopMode);
        try
        {
            await client.HandshakeAsync(ct).ConfigureAwait(false);
            return client;
        }
        catch (PrivilegedException e) when (e.Code == ClientErrorCodes.Unavailable)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
