using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>A bare protocol client that can also send what a real client never would.</summary>
public sealed class RawClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public RawClient(string socketPath)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        _stream = new NetworkStream(_socket, ownsSocket: true) { ReadTimeout = 10000, WriteTimeout = 10000 };
    }

    public static bool TryPing(string socketPath)
    {
        try
        {
            using var c = new RawClient(socketPath);
            return c.Call("""{"v":1,"id":1,"op":"ping"}""").GetProperty("ok").GetBoolean();
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    public JsonElement Call(string json) => Call(Encoding.UTF8.GetBytes(json));

    public JsonElement Call(byte[] payload)
    {
        SendFrame(payload);
        return Receive() ?? throw new IOException("connection closed without an answer");
    }

    public void SendFrame(byte[] payload)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)payload.Length);
        SendRaw([.. header, .. payload]);
    }

    public void SendRaw(byte[] bytes) => _stream.Write(bytes);

    /// <summary>The next response, or null when the daemon closed the connection.</summary>
    public JsonElement? Receive()
    {
        var header = new byte[4];
        if (_stream.ReadAtLeast(header, 4, throwOnEndOfStream: false) < 4) return null;
        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        _stream.ReadExactly(body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => _stream.Dispose();
}
