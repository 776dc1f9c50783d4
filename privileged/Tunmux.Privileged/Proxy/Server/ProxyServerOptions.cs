using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>What one proxy server serves and its limits. The sockets are already bound and listening.</summary>
public sealed class ProxyServerOptions
{
    /// <summary>Listening TCP sockets for SOCKS5 (127.0.0.1 and ::1).</summary>
    public IReadOnlyList<Socket> SocksListeners { get; init; } = [];

    /// <summary>Bound UDP sockets on the same loopback addresses, the client side of UDP ASSOCIATE.</summary>
    public IReadOnlyList<Socket> SocksUdpSockets { get; init; } = [];

    /// <summary>Listening TCP sockets for the HTTP proxy.</summary>
    public IReadOnlyList<Socket> HttpListeners { get; init; } = [];

    /// <summary>RFC 1929 credentials; both null means no authentication.</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Connections relayed at once; past it, clients get a polite refusal.</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>From accept to the end of the proxy handshake (a client that sends nothing or dribbles is dropped).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>An established relay with no byte either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Bound on opening the outbound connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on waiting for an origin server's response head (HTTP forwarding), answered 504.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often timeouts are checked; their precision.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    public bool AccessLog { get; init; }

    /// <summary>
    /// Who may connect, checked on every accepted connection before a byte is read; null serves every
    /// local client (only for tests and benchmarks that run a server in process).
    /// </summary>
    public Access.ClientAccess? Access { get; init; }
}
