// Load client and servers for build/bench/proxy.sh (SOCKS5 throughput, connection rate, held relays).
//   proxy-load source PORT [ADDRESS]  streams bytes to every client until it closes (ADDRESS: 127.0.0.1 unless given)
//   proxy-load echo PORT [ADDRESS]    echoes; many relays are held open against it
//   proxy-load throughput SOCKS|direct TARGET SECONDS STREAMS      prints MB/s
//   proxy-load connrate SOCKS|direct TARGET SECONDS PARALLEL       prints connections/s (connect, handshake, 1 byte each way, close)
//   proxy-load hold SOCKS TARGET COUNT                            opens COUNT relays, prints "ready", holds until stdin closes
// SOCKS is HOST:PORT of a SOCKS5 proxy (no authentication); TARGET is an IPv4 HOST:PORT.
#:property TargetFramework=net10.0
#:property Nullable=enable
#:property ImplicitUsings=enable
#:property TreatWarningsAsErrors=true
#:property PublishAot=false
#:property InvariantGlobalization=true
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

var mode = args[0];
switch (mode)
{
    case "source": await Serve(ListenAt(args), Source); break;
    case "echo": await Serve(ListenAt(args), Echo); break;
    case "throughput": await Throughput(args[1], IPEndPoint.Parse(args[2]), double.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)); break;
    case "connrate": await ConnRate(args[1], IPEndPoint.Parse(args[2]), double.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)); break;
    case "hold": await Hold(args[1], IPEndPoint.Parse(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture)); break;
    default: Console.Error.WriteLine($"unknown mode {mode}"); return 2;
}
return 0;

static IPEndPoint ListenAt(string[] args) =>
    new(args.Length > 2 ? IPAddress.Parse(args[2]) : IPAddress.Loopback, int.Parse(args[1], CultureInfo.InvariantCulture));

static async Task Serve(IPEndPoint at, Func<Socket, Task> handler)
{
    using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    l.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
    l.Bind(at);
    l.Listen(4096);
    while (true)
    {
        var s = await l.AcceptAsync();
        s.NoDelay = true;
        _ = Task.Run(async () =>
        {
            using (s) { try { await handler(s); } catch (SocketException) { } catch (ObjectDisposedException) { } }
        });
    }
}

static async Task Source(Socket s)
{
    var buf = new byte[256 * 1024];
    while (true) await s.SendAsync(buf, SocketFlags.None);
}

static async Task Echo(Socket s)
{
    var buf = new byte[16 * 1024];
    int n;
    while ((n = await s.ReceiveAsync(buf, SocketFlags.None)) > 0) await s.SendAsync(buf.AsMemory(0, n), SocketFlags.None);
}

static async Task<Socket> Open(string via, IPEndPoint target)
{
    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    if (via == "direct")
    {
        await s.ConnectAsync(target);
        return s;
    }
    await s.ConnectAsync(IPEndPoint.Parse(via));
    // Greeting, then the request once the method is chosen (microsocks reads them in separate steps).
    await s.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None);
    var reply = new byte[12];
    await ReadExact(s, reply.AsMemory(0, 2));
    var req = new byte[10];
    req[0] = 5; req[1] = 1; req[2] = 0; req[3] = 1;
    target.Address.TryWriteBytes(req.AsSpan(4), out _);
    req[8] = (byte)(target.Port >> 8); req[9] = (byte)target.Port;
    await s.SendAsync(req, SocketFlags.None);
    await ReadExact(s, reply.AsMemory(2, 10));
    if (reply[1] != 0 || reply[3] != 0) throw new IOException($"proxy refused: method {reply[1]} reply {reply[3]}");
    return s;
}

static async Task ReadExact(Socket s, Memory<byte> m)
{
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    while (m.Length > 0)
    {
        var n = await s.ReceiveAsync(m, SocketFlags.None, cts.Token);
        if (n == 0) throw new IOException("proxy closed during the handshake");
        m = m[n..];
    }
}

static async Task Throughput(string via, IPEndPoint target, double seconds, int streams)
{
    long total = 0;
    var warm = TimeSpan.FromSeconds(1);
    var sw = Stopwatch.StartNew();
    var end = warm + TimeSpan.FromSeconds(seconds);
    long counted = 0;
    await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
    {
        using var s = await Open(via, target);
        using var stop = new CancellationTokenSource(end + TimeSpan.FromSeconds(2));
        var buf = new byte[256 * 1024];
        while (sw.Elapsed < end)
        {
            var n = await s.ReceiveAsync(buf, SocketFlags.None, stop.Token);
            if (n == 0) break;
            if (sw.Elapsed > warm) Interlocked.Add(ref counted, n);
            Interlocked.Add(ref total, n);
        }
    }));
    Console.WriteLine((counted / seconds / 1e6).ToString("0.0", CultureInfo.InvariantCulture));
}

static async Task ConnRate(string via, IPEndPoint target, double seconds, int parallel)
{
    long done = 0, failed = 0;
    var sw = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
    {
        var one = new byte[1];
        while (sw.Elapsed < end)
        {
            try
            {
                using var s = await Open(via, target);
                await s.SendAsync(one, SocketFlags.None);
                if (await s.ReceiveAsync(one, SocketFlags.None) != 1) throw new IOException("no echo");
                // Close first from the client, like a short HTTP exchange ending.
                s.Shutdown(SocketShutdown.Both);
                Interlocked.Increment(ref done);
            }
            catch (Exception e) when (e is SocketException or IOException) { Interlocked.Increment(ref failed); }
        }
    }));
    Console.WriteLine((done / sw.Elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + (failed > 0 ? $" ({failed} failed)" : ""));
}

static async Task Hold(string via, IPEndPoint target, int count)
{
    var sockets = new List<Socket>();
    var one = new byte[1];
    for (var i = 0; i < count; i++)
    {
        var s = await Open(via, target);
        await s.SendAsync(one, SocketFlags.None);
        await s.ReceiveAsync(one, SocketFlags.None);
        sockets.Add(s);
    }
    Console.WriteLine("ready");
    await Console.In.ReadToEndAsync();
    foreach (var s in sockets) s.Dispose();
}
