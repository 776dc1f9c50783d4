using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Proxy.Access;

/// <summary>
/// Asks the kernel who owns a local socket, through sock_diag (a NETLINK_SOCK_DIAG socket,
/// <c>SOCK_DIAG_BY_FAMILY</c> with an exact <c>inet_diag_req_v2</c>). The netlink socket answers for the
/// network namespace it was opened in: the launcher opens it in the host namespace and hands it to the
/// proxy with its listeners, so the proxy, already inside the VPN namespace and without any privilege,
/// can still ask about the host-side sockets its clients connect from. An exact lookup needs no capability.
/// </summary>
public sealed unsafe partial class SockDiag : IDisposable
{
    private const int AfNetlink = 16, SockDgram = 2, SockCloexec = 0x80000, NetlinkSockDiag = 4;
    private const int SolSocket = 1, SoRcvtimeo = 20;
    private const ushort SockDiagByFamily = 20, NlmFRequest = 1, NlmsgError = 2;
    private const int HeaderBytes = 16, RequestBytes = HeaderBytes + 56;
    // inet_diag_msg: family, state, timer, retrans (4), inet_diag_sockid (48), expires, rqueue, wqueue (12), then uid.
    private const int UidOffset = HeaderBytes + 4 + 48 + 12;

    private readonly Lock _lock = new();
    private int _fd;
    private uint _sequence;

    private SockDiag(int fd) => _fd = fd;

    /// <summary>Takes over an inherited netlink descriptor.</summary>
    public static SockDiag Adopt(int fd) => new(fd);

    /// <summary>Opens one in the calling thread's network namespace.</summary>
    public static SockDiag Open()
    {
        var fd = Socket(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        if (fd < 0) throw new IOException($"cannot open a sock_diag netlink socket (errno {Marshal.GetLastPInvokeError()})");
        var diag = new SockDiag(fd);
        // The kernel answers an exact lookup at once; a bound on the wait keeps a surprise from stalling accepts.
        var timeout = stackalloc long[2] { 1, 0 };
        SetSockOpt(fd, SolSocket, SoRcvtimeo, timeout, 16);
        return diag;
    }

    /// <summary>The descriptor (for handing it to a child process).</summary>
    public int Descriptor => _fd;

    /// <summary>
    /// The uid owning the TCP socket whose local end is <paramref name="local"/> and whose peer is
    /// <paramref name="remote"/>, or null when there is no such socket (it closed already).
    /// </summary>
    public uint? TcpOwner(IPEndPoint local, IPEndPoint remote) => Query(ProtocolType.Tcp, local, remote);

    /// <summary>
    /// The uid owning the UDP socket that sent <paramref name="from"/>'s datagram to our socket at
    /// <paramref name="local"/>, or null. (udp_diag looks a socket up as the receiver of a datagram from
    /// id.src to id.dst, the other way round from tcp_diag: id.src is our end, id.dst the client's.)
    /// </summary>
    public uint? UdpOwner(IPEndPoint local, IPEndPoint from) => Query(ProtocolType.Udp, local, from);

    private uint? Query(ProtocolType protocol, IPEndPoint src, IPEndPoint dst)
    {
        var srcAddress = Normalize(src.Address);
        var dstAddress = Normalize(dst.Address);
        if (srcAddress.AddressFamily != dstAddress.AddressFamily) return null;
        var v6 = srcAddress.AddressFamily == AddressFamily.InterNetworkV6;

        Span<byte> request = stackalloc byte[RequestBytes];
        request.Clear();
        var response = stackalloc byte[512];
        lock (_lock)
        {
            if (_fd < 0) throw new ObjectDisposedException(nameof(SockDiag));
            var seq = ++_sequence;
            BinaryPrimitives.WriteUInt32LittleEndian(request, RequestBytes);
            BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
            BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest);
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], seq);
            var r = request[HeaderBytes..];
            r[0] = (byte)(v6 ? 10 : 2);                   // sdiag_family
            r[1] = (byte)protocol;                        // sdiag_protocol
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], 0xFFFFFFFF); // idiag_states: any
            var id = r[8..];
            BinaryPrimitives.WriteUInt16BigEndian(id, (ushort)src.Port);
            BinaryPrimitives.WriteUInt16BigEndian(id[2..], (ushort)dst.Port);
            srcAddress.TryWriteBytes(id[4..], out _);
            dstAddress.TryWriteBytes(id[20..], out _);
            BinaryPrimitives.WriteUInt32LittleEndian(id[40..], 0xFFFFFFFF); // INET_DIAG_NOCOOKIE
            BinaryPrimitives.WriteUInt32LittleEndian(id[44..], 0xFFFFFFFF);

            fixed (byte* p = request)
                if (Send(_fd, p, RequestBytes, 0) != RequestBytes) return null;
            while (true)
            {
                var n = Recv(_fd, response, 512, 0);
                if (n < HeaderBytes) return null;
                var span = new ReadOnlySpan<byte>(response, (int)n);
                // An answer to an earlier query that timed out is skipped.
                if (BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != seq) continue;
                if (BinaryPrimitives.ReadUInt16LittleEndian(span[4..]) == NlmsgError || n < UidOffset + 4) return null;
                return BinaryPrimitives.ReadUInt32LittleEndian(span[UidOffset..]);
            }
        }
    }

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    public void Dispose()
    {
        lock (_lock)
        {
            if (_fd >= 0) Close(_fd);
            _fd = -1;
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
