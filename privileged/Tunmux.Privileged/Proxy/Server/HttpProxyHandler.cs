using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// The HTTP proxy: CONNECT tunnels to any port, and absolute-form plain HTTP forwarded with
/// keep-alive; pipelined requests are answered in order, one at a time.
/// </summary>
internal sealed class HttpProxyHandler(ProxyServer server)
{
    private const int MaxHead = 64 * 1024;

    /// <summary>The largest chunk relayed (1 TiB), and the hex digits that can say it.</summary>
    internal const long MaxChunkBytes = 1L << 40;
    private const int MaxChunkDigits = 11;

    public async Task HandleAsync(ClientConnection c, bool overloaded)
    {
        using var reader = new SocketReader(c.Client, 4096);
        var upstream = new UpstreamSlot();
        try
        {
            while (true)
            {
                var headEnd = await ReadHeadAsync(reader);
                if (headEnd == 0) return; // closed cleanly between requests
                if (headEnd < 0)
                {
                    if (headEnd == -2) await ErrorAsync(c, 400, "Bad Request", "request head too large or truncated");
                    else c.Outcome = c.Requests == 0 ? "truncated" : c.Outcome;
                    return;
                }
                var head = HttpHead.Parse(reader.Span[..headEnd]);
                reader.Consume(headEnd);
                c.Requests++;
                // The head is in: from here the idle timeout applies, not the handshake deadline.
                c.Phase = ConnectionPhase.Relay;
                c.Touch();
                if (head is null || !head.Part3.StartsWith("HTTP/1.", StringComparison.Ordinal))
                {
                    await ErrorAsync(c, 400, "Bad Request", "malformed request");
                    return;
                }
                if (server.UsernameBytes.Length > 0 && !Authorized(head))
                {
                    // The same credentials as SOCKS5, so the HTTP port is no way around them.
                    await ErrorAsync(c, 407, "Proxy Authentication Required", "this proxy needs a username and password",
                        "auth-failed", "Proxy-Authenticate: Basic realm=\"tunmux\"");
                    return;
                }
                if (overloaded)
                {
                    await ErrorAsync(c, 503, "Service Unavailable", "too many connections through this proxy; retry later", "over-connection-limit");
                    return;
                }
                if (head.Part1 == "CONNECT")
                {
                    await ConnectAsync(c, reader, head);
                    return;
                }
                if (!await ForwardAsync(c, reader, head, upstream)) return;
                // Between requests the connection is idle, not in a handshake.
                c.Phase = ConnectionPhase.Relay;
                c.Touch();
            }
        }
        finally
        {
            upstream.Dispose();
        }
    }

    /// <summary>Length of the head including CRLF CRLF; 0 on a clean close before any byte; -1 truncated; -2 too large.</summary>
    private static async Task<int> ReadHeadAsync(SocketReader reader)
    {
        while (true)
        {
            // Tolerate empty lines before a request (RFC 9112 2.2).
            while (reader.Buffered >= 2 && reader.Span[0] == '\r' && reader.Span[1] == '\n') reader.Consume(2);
            var end = reader.IndexOfHeadEnd();
            if (end > 0) return end;
            if (reader.Buffered >= MaxHead) return -2;
            var hadBytes = reader.Buffered > 0;
            if (!await reader.ReadMoreAsync()) return hadBytes ? -1 : 0;
        }
    }

    private async Task ConnectAsync(ClientConnection c, SocketReader reader, HttpHead head)
    {
        c.Target = head.Part2;
        if (!TryParseAuthority(head.Part2, defaultPort: -1, out var host, out var port))
        {
            await ErrorAsync(c, 400, "Bad Request", "CONNECT needs host:port");
            return;
        }
        if (!IsResolvable(host))
        {
            await ErrorAsync(c, 502, "Bad Gateway", "host unreachable: not a valid host name", "bad-host");
            return;
        }
        c.Target = head.Part2;
        Socket upstream;
        try
        {
            upstream = await server.Connector.ConnectAsync(host, port, CancellationToken.None);
        }
        catch (ConnectException e)
        {
            await ConnectErrorAsync(c, e);
            return;
        }
        c.Upstream = upstream;
        if (c.IsAborted) return;
        await SendAsync(c, c.Client, "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), toClient: true);
        if (reader.Buffered > 0)
        {
            await SendAsync(c, upstream, reader.Memory, toClient: false);
            reader.Consume(reader.Buffered);
        }
        await Relay.RunAsync(c, c.Client, upstream);
    }

    /// <summary>Forwards one absolute-form request and its response; false when the client connection must close.</summary>
    private async Task<bool> ForwardAsync(ClientConnection c, SocketReader client, HttpHead req, UpstreamSlot slot)
    {
        const string scheme = "http://";
        var target = req.Part2;
        if (!target.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(c, 400, "Bad Request",
                target.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                    ? "https:// URLs go through CONNECT" : "a proxy request needs an absolute http:// URL");
            return false;
        }
        var rest = target[scheme.Length..];
        var pathStart = rest.IndexOfAny(['/', '?']);
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var path = pathStart < 0 ? "/" : rest[pathStart] == '?' ? "/" + rest[pathStart..] : rest[pathStart..];
        var hash = path.IndexOf('#');
        if (hash >= 0) path = path[..hash];
        if (authority.Contains('@') || !TryParseAuthority(authority, 80, out var host, out var port))
        {
            await ErrorAsync(c, 400, "Bad Request", "bad host in URL");
            return false;
        }
        if (!IsResolvable(host))
        {
            await ErrorAsync(c, 502, "Bad Gateway", "host unreachable: not a valid host name", "bad-host");
            return false;
        }

        // Body framing (RFC 9112 6): both framings at once or conflicting lengths are refused (smuggling).
        var chunked = false;
        long length = 0;
        if (req.Get("Transfer-Encoding") is not null)
        {
            if (req.Get("Content-Length") is not null || !req.HasToken("Transfer-Encoding", "chunked"))
            {
                await ErrorAsync(c, 400, "Bad Request", "unsupported request body framing");
                return false;
            }
            chunked = true;
        }
        else if (req.Get("Content-Length") is { } cl)
        {
            var values = req.Headers.Where(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).Distinct().ToList();
            if (values.Count != 1 || !long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out length))
            {
                await ErrorAsync(c, 400, "Bad Request", "bad Content-Length");
                return false;
            }
        }

        var http10 = req.Part3 == "HTTP/1.0";
        var clientKeepAlive = http10
            ? req.HasToken("Connection", "keep-alive") || req.HasToken("Proxy-Connection", "keep-alive")
            : !req.HasToken("Connection", "close") && !req.HasToken("Proxy-Connection", "close");

        if (req.HasToken("Expect", "100-continue"))
        {
            // Answered here so the client sends its body without waiting for the origin's own 100.
            req.Headers.RemoveAll(h => h.Key.Equals("Expect", StringComparison.OrdinalIgnoreCase));
            await SendAsync(c, c.Client, "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), toClient: true);
        }

        if (c.Target == "-") c.Target = authority;
        var key = host + ":" + port.ToString(CultureInfo.InvariantCulture);
        var requestHead = req.Serialize($"{req.Part1} {path} {req.Part3}", authority);
        var hasBody = chunked || length > 0;

        HttpHead? resp = null;
        for (var attempt = 0; resp is null; attempt++)
        {
            var reused = slot.Key == key && slot.Reader is not null;
            if (!reused)
            {
                slot.Dispose();
                try
                {
                    var s = await server.Connector.ConnectAsync(host, port, CancellationToken.None);
                    slot.Set(key, s);
                    c.Upstream = s;
                    if (c.IsAborted) return false;
                }
                catch (ConnectException e)
                {
                    await ConnectErrorAsync(c, e);
                    return false;
                }
            }
            var up = slot.Reader!;
            try
            {
                await SendAsync(c, up.Socket, requestHead, toClient: false);
                if (chunked) await CopyChunkedAsync(c, client, up.Socket, toClient: false);
                else if (length > 0) await CopyFixedAsync(c, client, up.Socket, length, toClient: false);
            }
            catch (SocketException) when (reused && !hasBody && attempt == 0)
            {
                slot.Dispose();
                continue;
            }

            var (status, timedOut) = await ReadResponseHeadAsync(up);
            if (status is null)
            {
                // A kept-alive origin connection may have closed just before our request: retry once when safe.
                if (reused && !hasBody && attempt == 0 && !timedOut) { slot.Dispose(); continue; }
                slot.Dispose();
                if (timedOut) await ErrorAsync(c, 504, "Gateway Timeout", $"{authority} did not answer in time", "response-timeout");
                else await ErrorAsync(c, 502, "Bad Gateway", $"{authority} closed the connection or sent a malformed response", "bad-response");
                return false;
            }
            resp = status;
        }

        var responseHead = resp;
        while (true)
        {
            if (!int.TryParse(responseHead.Part2, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 999)
            {
                slot.Dispose();
                await ErrorAsync(c, 502, "Bad Gateway", $"{authority} sent a malformed status line", "bad-response");
                return false;
            }
            if (code is >= 100 and < 200 && code != 101)
            {
                // Interim responses go to the client as they are; the final one follows.
                await SendAsync(c, c.Client, responseHead.Serialize($"{responseHead.Part1} {responseHead.Part2} {responseHead.Part3}", null), toClient: true);
                var (next, _) = await ReadResponseHeadAsync(slot.Reader!);
                if (next is null) { slot.Dispose(); return false; }
                responseHead = next;
                continue;
            }
            break;
        }

        var status2 = int.Parse(responseHead.Part2, CultureInfo.InvariantCulture);
        var noBody = req.Part1 == "HEAD" || status2 is 204 or 304 or (>= 100 and < 200);
        var respChunked = !noBody && responseHead.HasToken("Transfer-Encoding", "chunked");
        long respLength = -1;
        if (!noBody && !respChunked && responseHead.Get("Content-Length") is { } rcl
            && long.TryParse(rcl, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) respLength = parsed;
        var closeDelimited = !noBody && !respChunked && respLength < 0;
        var upstreamKeepAlive = !closeDelimited && (responseHead.Part1 == "HTTP/1.0"
            ? responseHead.HasToken("Connection", "keep-alive")
            : !responseHead.HasToken("Connection", "close"));
        var keepClient = clientKeepAlive && !closeDelimited;

        var extra = keepClient ? (http10 ? ["Connection: keep-alive"] : Array.Empty<string>()) : ["Connection: close"];
        await SendAsync(c, c.Client, responseHead.Serialize($"{responseHead.Part1} {responseHead.Part2} {responseHead.Part3}", null, extra), toClient: true);
        var upReader = slot.Reader!;
        if (respChunked) await CopyChunkedAsync(c, upReader, c.Client, toClient: true);
        else if (respLength > 0) await CopyFixedAsync(c, upReader, c.Client, respLength, toClient: true);
        else if (closeDelimited) await CopyToEndAsync(c, upReader, c.Client);

        if (!upstreamKeepAlive) slot.Dispose();
        c.Outcome = "ok";
        return keepClient;
    }

    /// <summary>Reads a response head within the response timeout; null on close, timeout or garbage.</summary>
    private async Task<(HttpHead? Head, bool TimedOut)> ReadResponseHeadAsync(SocketReader up)
    {
        using var cts = new CancellationTokenSource(server.Options.ResponseTimeout);
        try
        {
            while (true)
            {
                var end = up.IndexOfHeadEnd();
                if (end > 0)
                {
                    var head = HttpHead.Parse(up.Span[..end]);
                    up.Consume(end);
                    return (head is not null && head.Part1.StartsWith("HTTP/1.", StringComparison.Ordinal) ? head : null, false);
                }
                if (up.Buffered >= MaxHead) return (null, false);
                if (!await up.ReadMoreAsync(1, cts.Token)) return (null, false);
            }
        }
        catch (OperationCanceledException) { return (null, true); }
        catch (SocketException) { return (null, false); }
    }

    private static async Task CopyFixedAsync(ClientConnection c, SocketReader from, Socket to, long length, bool toClient)
    {
        if (from.Buffered > 0)
        {
            var n = (int)Math.Min(from.Buffered, length);
            await SendAsync(c, to, from.Memory[..n], toClient);
            from.Consume(n);
            length -= n;
        }
        if (length == 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent(Relay.BufferSize);
        try
        {
            while (length > 0)
            {
                var n = await from.Socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), SocketFlags.None);
                if (n == 0) throw new IOException("peer closed inside a message body");
                await SendAsync(c, to, buffer.AsMemory(0, n), toClient);
                length -= n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static async Task CopyToEndAsync(ClientConnection c, SocketReader from, Socket to)
    {
        if (from.Buffered > 0)
        {
            await SendAsync(c, to, from.Memory, toClient: true);
            from.Consume(from.Buffered);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Relay.BufferSize);
        try
        {
            int n;
            while ((n = await from.Socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                await SendAsync(c, to, buffer.AsMemory(0, n), toClient: true);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Forwards a chunked body as it is, parsing only the chunk sizes to find its end.</summary>
    private static async Task CopyChunkedAsync(ClientConnection c, SocketReader from, Socket to, bool toClient)
    {
        while (true)
        {
            var lineEnd = await LineAsync(from);
            if (!TryParseChunkSize(from.Span[..(lineEnd - 2)], out var size)) throw new IOException("bad chunk size");
            await SendAsync(c, to, from.Memory[..lineEnd], toClient);
            from.Consume(lineEnd);
            if (size == 0)
            {
                // Trailer fields, then the empty line that ends the message.
                while (true)
                {
                    var end = await LineAsync(from);
                    await SendAsync(c, to, from.Memory[..end], toClient);
                    from.Consume(end);
                    if (end == 2) return;
                }
            }
            await CopyFixedAsync(c, from, to, checked(size + 2), toClient);
        }
    }

    /// <summary>The size on a chunk line (hex, optional extensions after ';'), capped before any arithmetic.</summary>
    internal static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        var semi = line.IndexOf((byte)';');
        var sizeText = Encoding.ASCII.GetString(semi >= 0 ? line[..semi] : line).Trim();
        // 7FFFFFFFFFFFFFFF plus the CRLF would wrap to a negative length: at most 11 digits and 1 TiB.
        size = 0;
        return sizeText.Length is > 0 and <= MaxChunkDigits
               && long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out size)
               && size is >= 0 and <= MaxChunkBytes;
    }

    private static async Task<int> LineAsync(SocketReader from)
    {
        while (true)
        {
            var end = from.IndexOfLineEnd();
            if (end > 0) return end;
            if (from.Buffered > 8192) throw new IOException("chunk line too long");
            if (!await from.ReadMoreAsync()) throw new IOException("peer closed inside a chunked body");
        }
    }

    /// <summary>An address literal or a well-formed host name; nothing else goes to the resolver.</summary>
    private static bool IsResolvable(string host) => System.Net.IPAddress.TryParse(host, out _) || HostNames.IsValid(host);

    internal static bool TryParseAuthority(string authority, int defaultPort, out string host, out int port)
    {
        host = "";
        port = defaultPort;
        string portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return false;
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length == 0) return defaultPort > 0 && System.Net.IPAddress.TryParse(host, out _);
            if (after[0] != ':') return false;
            portText = after[1..];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            if (colon < 0)
            {
                host = authority;
                return defaultPort > 0 && host.Length > 0;
            }
            host = authority[..colon];
            portText = authority[(colon + 1)..];
        }
        return host.Length > 0 && host.Length <= 253
               && int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }

    /// <summary>Checks <c>Proxy-Authorization: Basic</c> against the configured credentials in constant time.</summary>
    private bool Authorized(HttpHead head)
    {
        var value = head.Get("Proxy-Authorization");
        if (value is null || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] decoded;
        try { decoded = Convert.FromBase64String(value[6..].Trim()); }
        catch (FormatException) { return false; }
        var colon = Array.IndexOf(decoded, (byte)':');
        if (colon < 0) return false;
        var user = decoded.AsSpan(0, colon);
        var pass = decoded.AsSpan(colon + 1);
        return user.Length == server.UsernameBytes.Length & pass.Length == server.PasswordBytes.Length
               && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(user, server.UsernameBytes)
                  & System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(pass, server.PasswordBytes);
    }

    private static Task ConnectErrorAsync(ClientConnection c, ConnectException e) =>
        e.Failure == ConnectFailure.TimedOut
            ? ErrorAsync(c, 504, "Gateway Timeout", e.Message, OutboundConnector.Outcome(e.Failure))
            : ErrorAsync(c, 502, "Bad Gateway", e.Message, OutboundConnector.Outcome(e.Failure));

    private static async Task ErrorAsync(ClientConnection c, int code, string reason, string message, string? outcome = null, string? extraHeader = null)
    {
        c.Outcome = outcome ?? $"http-{code}";
        var body = Encoding.UTF8.GetBytes($"{code} {reason}: {message}\n");
        var extra = extraHeader is null ? "" : extraHeader + "\r\n";
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n{extra}Connection: close\r\n\r\n");
        try
        {
            await SendAsync(c, c.Client, head, toClient: true);
            await SendAsync(c, c.Client, body, toClient: true);
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    private static async Task SendAsync(ClientConnection c, Socket to, ReadOnlyMemory<byte> data, bool toClient)
    {
        await Relay.SendAllAsync(to, data);
        if (toClient) c.BytesDown += data.Length; else c.BytesUp += data.Length;
        c.Touch();
    }

    /// <summary>The kept-alive origin connection of one client connection.</summary>
    private sealed class UpstreamSlot : IDisposable
    {
        public string? Key { get; private set; }
        public SocketReader? Reader { get; private set; }
        public void Set(string key, Socket socket)
        {
            Key = key;
            Reader = new SocketReader(socket, 4096);
        }

        public void Dispose()
        {
            if (Reader is not null)
            {
                Reader.Socket.Dispose();
                Reader.Dispose();
            }
            Reader = null;
            Key = null;
        }
    }
}
