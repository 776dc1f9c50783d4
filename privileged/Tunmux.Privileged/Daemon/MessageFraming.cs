using System.Buffers;
using System.Buffers.Binary;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>One received message, its bytes borrowed from a pool until disposed.</summary>
public sealed class Frame : IDisposable
{
    private byte[]? _buffer;

    internal Frame(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Payload =>
        _buffer is { } b ? b.AsMemory(0, Length) : throw new ObjectDisposedException(nameof(Frame));

    public void Dispose()
    {
        if (_buffer is { } b) ArrayPool<byte>.Shared.Return(b);
        _buffer = null;
    }
}

/// <summary>
/// The framing of <see cref="ProtocolInfo"/>: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
/// A length over the limit is refused before anything is allocated, so a peer cannot make the reader hold
/// more than <paramref name="maxBytes"/> for one message.
/// </summary>
public static class MessageFraming
{
    public const int HeaderBytes = 4;

    /// <summary>Reads one frame; null when the peer closed the stream cleanly between frames.</summary>
    /// <exception cref="PrivilegedException"><see cref="ErrorCodes.TooLarge"/> or <see cref="ErrorCodes.BadFrame"/> (truncated).</exception>
    /// <param name="bodyTimeout">Once a header has come, how long its body may take (then <see cref="OperationCanceledException"/>).</param>
    public static async Task<Frame?> ReadAsync(Stream stream, CancellationToken ct, int maxBytes = ProtocolInfo.MaxMessageBytes,
        TimeSpan? bodyTimeout = null)
    {
        var header = new byte[HeaderBytes];
        var got = await stream.ReadAtLeastAsync(header, HeaderBytes, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < HeaderBytes) throw new PrivilegedException(ErrorCodes.BadFrame, "truncated frame header");

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0) throw new PrivilegedException(ErrorCodes.BadFrame, "empty frame");
        if (length > (uint)maxBytes)
            throw new PrivilegedException(ErrorCodes.TooLarge, $"message of {length} bytes exceeds the limit of {maxBytes} bytes");

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        using var body = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (bodyTimeout is { } t) body.CancelAfter(t);
        try
        {
            var read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, (int)length), (int)length, throwOnEndOfStream: false, body.Token).ConfigureAwait(false);
            if (read < length) throw new PrivilegedException(ErrorCodes.BadFrame, "truncated frame body");
            return new Frame(buffer, (int)length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Writes one frame (header and payload in one write, so concurrent writers never interleave halves).</summary>
    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (payload.Length > ProtocolInfo.MaxMessageBytes)
            throw new PrivilegedException(ErrorCodes.TooLarge, $"message of {payload.Length} bytes exceeds the limit of {ProtocolInfo.MaxMessageBytes} bytes");
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderBytes + payload.Length);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)payload.Length);
            payload.CopyTo(buffer.AsMemory(HeaderBytes));
            await stream.WriteAsync(buffer.AsMemory(0, HeaderBytes + payload.Length), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
