using System.Net;
using System.Net.Sockets;
using Tunmux.Privileged.Proxy.Dns;
using Tunmux.Privileged.Proxy.Server;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>A proxy server in this process on ephemeral loopback ports, as the launcher would hand them over.</summary>
public sealed class ProxyHarness : IAsyncDisposable
{
    private readonly ProxyServer _server;
    private readonly StringWriter _log = new();

    public ProxyHarness(Func<ProxyServerOptions, ProxyServerOptions>? configure = null, IHostResolver? resolver = null)
    {
        var socks4 = Listen(IPAddress.Loopback);
        SocksPort = ((IPEndPoint)socks4.LocalEndPoint!).Port;
        var socks6 = Listen(IPAddress.IPv6Loopback, SocksPort);
        var udp4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp4.Bind(new IPEndPoint(IPAddress.Loopback, SocksPort));
        var http4 = Listen(IPAddress.Loopback);
        HttpPort = ((IPEndPoint)http4.LocalEndPoint!).Port;
        var options = new ProxyServerOptions
        {
            SocksListeners = [socks4, socks6],
            SocksUdpSockets = [udp4],
            HttpListeners = [http4],
            AccessLog = true,
        };
        if (configure is not null) options = configure(options);
        Options = options;
        resolver ??= new StaticResolver(new Dictionary<string, IPAddress[]>
        {
            ["origin.test"] = [IPAddress.Loopback],
        });
        Log = new ProxyLog(TextWriter.Synchronized(_log));
        _server = new ProxyServer(options, resolver, Log);
        _server.Start();
    }

    public int SocksPort { get; }
    public int HttpPort { get; }
    public ProxyServerOptions Options { get; }
    public ProxyLog Log { get; }
    public ProxyServer Server => _server;

    public string LogText
    {
        get { lock (_log) return _log.ToString(); }
    }

    private static Socket Listen(IPAddress address, int port = 0)
    {
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
        s.Bind(new IPEndPoint(address, port));
        s.Listen(512);
        return s;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await Log.DisposeAsync();
    }
}
