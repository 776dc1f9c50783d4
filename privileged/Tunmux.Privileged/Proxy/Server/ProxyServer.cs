using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Tunmux.Privileged.Proxy.Dns;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// Serves SOCKS5 and HTTP proxy clients on already-listening sockets. Outbound sockets are made
/// by this process, so they belong to whatever network namespace it runs in.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    /// <summary>Connections past the limit still get a polite refusal, up to this many more at once; beyond, they are closed.</summary>
    private const int RefusalHeadroom = 256;

    private readonly ConcurrentDictionary<ClientConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly ProxyLog _log;
    private readonly Socks5Handler _socks;
    private readonly HttpProxyHandler _http;
    private int _active;
    private Timer? _sweeper;

    public ProxyServer(ProxyServerOptions options, IHostResolver resolver, ProxyLog? log = null)
    {
        if ((options.Username is null) != (options.Password is null))
            throw new ArgumentException("username and password go together");
        Options = options;
        _log = log ?? ProxyLog.Null;
        Connector = new OutboundConnector(resolver, options.ConnectTimeout);
        UsernameBytes = options.Username is null ? [] : Encoding.UTF8.GetBytes(options.Username);
        PasswordBytes = options.Password is null ? [] : Encoding.UTF8.GetBytes(options.Password);
        _socks = new Socks5Handler(this);
        _http = new HttpProxyHandler(this);
        UdpRelay = new Socks5UdpRelay(this);
    }

    public ProxyServerOptions Options { get; }
    internal OutboundConnector Connector { get; }
    internal Socks5UdpRelay UdpRelay { get; }
    internal byte[] UsernameBytes { get; }
    internal byte[] PasswordBytes { get; }

    /// <summary>Connections being handled right now.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Starts the accept loops; returns once they run.</summary>
    public void Start()
    {
        // One accept loop per core and listener: on a burst of new connections, accepts and
        // handshakes proceed on every core instead of queuing behind one loop.
        var loopsPerListener = Math.Max(1, Environment.ProcessorCount);
        foreach (var l in Options.SocksListeners)
        {
            var noDelay = SetNoDelay(l);
            for (var i = 0; i < loopsPerListener; i++) _loops.Add(AcceptLoopAsync(l, "socks5", noDelay));
        }
        foreach (var l in Options.HttpListeners)
        {
            var noDelay = SetNoDelay(l);
            for (var i = 0; i < loopsPerListener; i++) _loops.Add(AcceptLoopAsync(l, "http", noDelay));
        }
        UdpRelay.Start(_stopping.Token);
        _sweeper = new Timer(_ => Sweep(), null, Options.SweepInterval, Options.SweepInterval);
    }

    /// <summary>
    /// Sets TCP_NODELAY on the listening socket; Linux copies it to every accepted socket, which
    /// saves one system call per connection. False when the listener refused it.
    /// </summary>
    private static bool SetNoDelay(Socket listener)
    {
        try
        {
            listener.NoDelay = true;
            return true;
        }
        catch (SocketException) { return false; }
    }

    private async Task AcceptLoopAsync(Socket listener, string protocol, bool listenerHasNoDelay)
    {
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors: back off instead of spinning; connections waiting in the backlog are served later.
                _log.Info($"accept on {listener.LocalEndPoint}: {e.Message}; pausing");
                try { await Task.Delay(100, _stopping.Token); } catch (OperationCanceledException) { return; }
                continue;
            }
            catch (SocketException) { continue; }

            // Before a byte is read: is this client's socket owned by someone this exit is open to?
            uint? uid = null;
            if (Options.Access is { } access)
            {
                uid = access.ClientUid(client);
                if (!access.Allows(uid))
                {
                    Denied(protocol, uid);
                    client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    continue;
                }
            }

            var active = Interlocked.Increment(ref _active);
            if (active > Options.MaxConnections + RefusalHeadroom)
            {
                Interlocked.Decrement(ref _active);
                client.Dispose();
                continue;
            }
            if (!listenerHasNoDelay) client.NoDelay = true;
            _ = HandleAsync(client, protocol, overloaded: active > Options.MaxConnections, uid);
        }
    }

    private long _denied;

    /// <summary>Refused connections are logged sparingly: a flood of them must not fill the log.</summary>
    private void Denied(string protocol, uint? uid)
    {
        var n = Interlocked.Increment(ref _denied);
        if (n <= 20 || n % 1000 == 0)
            _log.Info($"refused {protocol} connection #{n} from {(uid is { } u ? "uid " + u : "an unknown socket")}: this exit is not open to it");
    }

    private async Task HandleAsync(Socket socket, string protocol, bool overloaded, uint? uid)
    {
        var c = new ClientConnection(socket, protocol, recordPeer: Options.AccessLog) { ClientUid = uid };
        _connections.TryAdd(c, 0);
        try
        {
            if (protocol == "socks5") await _socks.HandleAsync(c, overloaded);
            else await _http.HandleAsync(c, overloaded);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            if (c.AbortReason is null) c.Outcome = e is SocketException se ? "error:" + se.SocketErrorCode : "error:" + e.GetType().Name;
        }
        catch (Exception e)
        {
            c.Outcome = "internal-error";
            // One line, no stack trace: the text a client's bytes led to is escaped by the log.
            _log.Info($"internal error on a {protocol} connection: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            // Logged before closing, so a client that saw the close finds its line queued.
            if (Options.AccessLog) _log.Access(c);
            c.Close();
            _connections.TryRemove(c, out _);
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Drops connections past their handshake deadline or idle too long.</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        var handshake = (long)Options.HandshakeTimeout.TotalMilliseconds;
        var idle = (long)Options.IdleTimeout.TotalMilliseconds;
        foreach (var c in _connections.Keys)
        {
            switch (c.Phase)
            {
                case ConnectionPhase.Handshake when now - c.StartedTicks > handshake:
                    c.Abort("handshake-timeout");
                    break;
                case ConnectionPhase.Relay when now - Volatile.Read(ref c.LastActivity) > idle:
                    c.Abort("idle-timeout");
                    break;
            }
        }
    }

    /// <summary>Stops accepting and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        if (_sweeper is not null) await _sweeper.DisposeAsync();
        foreach (var l in Options.SocksListeners.Concat(Options.HttpListeners).Concat(Options.SocksUdpSockets)) l.Dispose();
        try { await Task.WhenAll(_loops); } catch (OperationCanceledException) { }
        foreach (var c in _connections.Keys) c.Abort("shutdown");
    }
}
