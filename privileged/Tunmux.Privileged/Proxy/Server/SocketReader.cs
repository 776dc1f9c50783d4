using System.Buffers;
using System.Net.Sockets;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// A small pooled read buffer over a socket for parsing handshakes and HTTP heads; whatever was
/// read past the parsed part stays buffered and is forwarded before relaying.
/// </summary>
internal sealed class SocketReader(Socket socket, int initialSize = 1024) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
    private int _start;
    private int _end;

    public Socket Socket { get; } = socket;
    public int Buffered => _end - _start;
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(_start, _end - _start);

    /// <summary>Bytes read from the socket, for the access log.</summary>
    public long TotalRead { get; private set; }

    public void Consume(int count) => _start += count;

    /// <summary>Ensures at least <paramref name="count"/> bytes are buffered; false on end of stream.</summary>
    public async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken = default)
    {
        while (Buffered < count)
        {
            if (!await ReadMoreAsync(count, cancellationToken).ConfigureAwait(false)) return false;
        }
        return true;
    }

    /// <summary>Reads whatever arrives next (at least one byte); false on end of stream.</summary>
    public async ValueTask<bool> ReadMoreAsync(int want = 1, CancellationToken cancellationToken = default)
    {
        if (_start > 0 && (_end == _buffer.Length || _start == _end))
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length || _buffer.Length - _start < want)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, want));
            Buffer.BlockCopy(_buffer, _start, bigger, 0, _end - _start);
            ArrayPool<byte>.Shared.Return(_buffer);
            _end -= _start;
            _start = 0;
            _buffer = bigger;
        }
        var n = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (n == 0) return false;
        _end += n;
        TotalRead += n;
        return true;
    }

    /// <summary>Index (relative to <see cref="Span"/>) just past the first CRLF CRLF, or -1.</summary>
    public int IndexOfHeadEnd()
    {
        var i = Span.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    /// <summary>Index just past the first CRLF, or -1.</summary>
    public int IndexOfLineEnd()
    {
        var i = Span.IndexOf("\r\n"u8);
        return i < 0 ? -1 : i + 2;
    }

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, []);
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
