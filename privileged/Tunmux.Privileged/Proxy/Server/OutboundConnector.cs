using System.Net;
using System.Net.Sockets;
using Tunmux.Privileged.Proxy.Dns;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>Why an outbound connection could not be made; each maps to a SOCKS5 reply and an HTTP status.</summary>
internal enum ConnectFailure
{
    None,
    General,
    NetworkUnreachable,
    HostUnreachable,
    HostNotFound,
    Refused,
    TimedOut,
    AddressTypeNotSupported,
}

internal sealed class ConnectException(ConnectFailure failure, string message) : Exception(message)
{
    public ConnectFailure Failure { get; } = failure;
}

/// <summary>
/// Opens outbound TCP connections. The process runs inside the VPN namespace, so every socket
/// made here leaves through the tunnel; names go through <see cref="IHostResolver"/>.
/// </summary>
internal sealed class OutboundConnector(IHostResolver resolver, TimeSpan connectTimeout)
{
    public IHostResolver Resolver { get; } = resolver;

    /// <summary>Connects to <paramref name="host"/> (a name or a literal address); tries each address in turn.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        // One timer for the whole attempt (name and every address); linked only when a caller token can cancel.
        using var cts = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : new CancellationTokenSource();
        cts.CancelAfter(connectTimeout);
        IPAddress[] addresses;
        try
        {
            addresses = await Resolver.ResolveAsync(host, cts.Token).ConfigureAwait(false);
        }
        catch (HostResolutionException e)
        {
            throw new ConnectException(e.NotFound ? ConnectFailure.HostNotFound : ConnectFailure.HostUnreachable, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectException(ConnectFailure.TimedOut, $"resolving {host} timed out");
        }

        var last = new ConnectException(ConnectFailure.HostUnreachable, $"{host} has no address");
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectAsync(new IPEndPoint(address, port), cts.Token).ConfigureAwait(false);
            }
            catch (ConnectException e)
            {
                last = e;
                if (e.Failure == ConnectFailure.TimedOut) break;
            }
        }
        throw last;
    }

    /// <summary>Connects to a literal address within the connect timeout.</summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        using var cts = new CancellationTokenSource(connectTimeout);
        return await ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
    }

    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConnectException(Map(e.SocketErrorCode), $"connect to {endPoint}: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new ConnectException(ConnectFailure.TimedOut, $"connect to {endPoint} timed out");
        }
    }

    public static ConnectFailure Map(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => ConnectFailure.Refused,
        SocketError.NetworkUnreachable or SocketError.NetworkDown => ConnectFailure.NetworkUnreachable,
        SocketError.HostUnreachable or SocketError.HostDown => ConnectFailure.HostUnreachable,
        SocketError.TimedOut => ConnectFailure.TimedOut,
        SocketError.AddressFamilyNotSupported or SocketError.ProtocolFamilyNotSupported
            or SocketError.AddressNotAvailable => ConnectFailure.AddressTypeNotSupported,
        SocketError.HostNotFound or SocketError.NoData => ConnectFailure.HostNotFound,
        _ => ConnectFailure.General,
    };

    public static string Outcome(ConnectFailure f) => f switch
    {
        ConnectFailure.NetworkUnreachable => "network-unreachable",
        ConnectFailure.HostUnreachable => "host-unreachable",
        ConnectFailure.HostNotFound => "host-not-found",
        ConnectFailure.Refused => "refused",
        ConnectFailure.TimedOut => "connect-timeout",
        ConnectFailure.AddressTypeNotSupported => "address-type-not-supported",
        _ => "failed",
    };
}
