using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Tunmux.Privileged.Proxy.Dns;
using Tunmux.Privileged.Proxy.Launch;
using Tunmux.Privileged.Proxy.Server;

namespace Tunmux.Privileged.Proxy.Runtime;

/// <summary>
/// The body of <c>tunmux privileged proxy</c>: runs already inside the VPN namespace and already
/// without root (the launcher starts it through <c>ip netns exec</c> and <c>setpriv</c>), serves
/// on the listening sockets it inherited, and stops on SIGTERM or SIGINT.
/// </summary>
internal static class ProxyProcess
{
    public const int MaxOpenFiles = 16384;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ProxyArguments a;
        try
        {
            a = ProxyArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"error: tunmux privileged proxy: {e.Message}");
            return 2;
        }

        // Not dumpable: other processes of the same user cannot ptrace it or read its memory (credentials).
        Libc.Prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0);
        // Its own descriptor cap (a relay needs at most three per connection), whatever the daemon's was.
        Libc.LimitOpenFiles(MaxOpenFiles);

        // The log is the inherited stdout (opened for appending by the launcher); past its cap it starts over.
        await using var log = new ProxyLog(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)),
            ProxyLog.DefaultMaxBytes, () => Libc.Ftruncate(1, 0), Libc.SizeOf(1));
        ProxyServer server;
        try
        {
            var (user, pass) = a.CredentialsOnStdin ? ReadCredentials() : (null, null);
            var nameservers = NamespaceResolver.ReadResolvConf();
            if (nameservers.Count == 0)
                throw new InvalidOperationException("/etc/resolv.conf in the namespace lists no nameserver; the tunnel's DNS must be set before the proxy starts");
            var options = new ProxyServerOptions
            {
                SocksListeners = a.SocksFds.Select(Adopt).ToList(),
                SocksUdpSockets = a.SocksUdpFds.Select(Adopt).ToList(),
                HttpListeners = a.HttpFds.Select(Adopt).ToList(),
                Username = user,
                Password = pass,
                MaxConnections = a.MaxConnections,
                HandshakeTimeout = a.HandshakeTimeout,
                IdleTimeout = a.IdleTimeout,
                AccessLog = a.AccessLog,
                Access = new Access.ClientAccess(Access.SockDiag.Adopt(a.DiagFd!.Value), a.AllowUids.ToHashSet(), a.AllowGids.ToHashSet(), a.Share),
            };
            server = new ProxyServer(options, new NamespaceResolver(nameservers), log);
            server.Start();
            log.Info($"proxy {a.Instance} started: pid {Environment.ProcessId}, uid {Libc.GetEuid()}, "
                     + $"socks5 on {Endpoints(options.SocksListeners)}, http on {Endpoints(options.HttpListeners)}, "
                     + $"dns via {string.Join(' ', nameservers)}{(user is null ? "" : ", socks5 authentication on")}, "
                     + (a.Share ? "open to every local user" : $"open to uids {string.Join(',', a.AllowUids.Prepend(0u).Distinct())}"
                        + (a.AllowGids.Count > 0 ? $" and gids {string.Join(',', a.AllowGids)}" : "")));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or SocketException or ArgumentException or UnauthorizedAccessException)
        {
            log.Info($"error: proxy {a.Instance} cannot start: {e.Message}");
            return 1;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        if (a.ReadyFd is { } ready)
        {
            // Whoever waits for READY may read the log next: the start line must already be there.
            await log.DrainAsync(TimeSpan.FromSeconds(2));
            // The launcher returns from StartAsync only after this line: the accept loops are running.
            try { Libc.WriteAll(ready, "READY\n"u8); } catch (IOException) { }
            Libc.Close(ready);
        }

        try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
        log.Info($"proxy {a.Instance} stopping");
        await server.DisposeAsync();
        return 0;
    }

    private static Socket Adopt(int fd)
    {
        try
        {
            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"inherited descriptor {fd} is not a usable socket: {e.Message}");
        }
    }

    private static string Endpoints(IReadOnlyList<Socket> sockets) =>
        sockets.Count == 0 ? "-" : string.Join(' ', sockets.Select(s => s.LocalEndPoint?.ToString()));

    /// <summary>Username and password from stdin: the username on the first line, the password on the rest.</summary>
    private static (string, string) ReadCredentials()
    {
        using var stdin = Console.OpenStandardInput();
        using var reader = new StreamReader(stdin, new UTF8Encoding(false));
        var text = reader.ReadToEnd();
        var newline = text.IndexOf('\n');
        if (newline <= 0) throw new InvalidOperationException("--credentials-stdin given but stdin holds no username and password");
        return (text[..newline], text[(newline + 1)..].TrimEnd('\n'));
    }
}
