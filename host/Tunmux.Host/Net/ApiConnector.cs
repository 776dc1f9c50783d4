using System.Net;
using System.Net.Sockets;

namespace Tunmux.Host.Net;

/// <summary>
/// How a provider's HTTP requests open their connections (the <c>ConnectCallback</c> of every client the host hands
/// a plugin). Normally: resolve, remember the addresses, connect. While tunmux's firewall blocks the machine with no
/// tunnel to carry the request (lockdown, or a kill switch a failed connect left), names cannot be resolved and
/// nothing may leave: the addresses on record are used, and the daemon is asked to let this user's connections to
/// exactly those addresses through for as long as this command runs (<c>firewall.allow_api</c>).
/// </summary>
internal sealed class ApiConnector(ApiAddressBook book, Func<bool> blocked, Func<IReadOnlyList<string>, CancellationToken, Task> allow)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
        var isBlocked = blocked();
        IReadOnlyList<IPAddress> addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else if (!isBlocked)
        {
            addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            book.Remember(host, addresses);
        }
        else
        {
            addresses = book.Recall(host) ?? throw new HttpRequestException(
                $"lockdown is on and tunmux has no address on record for {host} (no DNS leaves under lockdown); " +
                "run 'tunmux lockdown off', connect once, then 'tunmux lockdown on' again");
        }

        // Loopback always passes the firewall; anything else needs the daemon's hole first.
        if (isBlocked && addresses.Any(a => !IPAddress.IsLoopback(a)))
            await allow([.. addresses.Select(a => new IPEndPoint(a, port).ToString())], ct).ConfigureAwait(false);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync([.. addresses], port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
