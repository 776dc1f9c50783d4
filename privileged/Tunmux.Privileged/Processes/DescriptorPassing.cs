using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// Open file descriptors sent over a Unix socket as <c>SCM_RIGHTS</c> (the receiver gets its own
/// duplicates), each batch riding on one byte of ordinary data so it arrives in step with the stream.
/// <c>tunmux exec</c> hands the caller's standard streams to the daemon this way, and gets a terminal back.
/// </summary>
public static unsafe partial class DescriptorPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int MaxDescriptors = 8;
    private const int Eintr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    // struct cmsghdr { size_t len; int level; int type; } then the data, aligned to size_t.
    private static readonly int HeaderSize = sizeof(nuint) + 2 * sizeof(int);

    private static int Align(int n) => (n + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>Sends <paramref name="marker"/> with copies of <paramref name="descriptors"/> attached (blocking).</summary>
    public static void Send(int socket, byte marker, IReadOnlyList<int> descriptors)
    {
        if (descriptors.Count is 0 or > MaxDescriptors) throw new ArgumentException($"1 to {MaxDescriptors} descriptors");
        var dataLength = descriptors.Count * sizeof(int);
        var space = Align(HeaderSize) + Align(dataLength);
        var control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        *(nuint*)control = (nuint)(Align(HeaderSize) + dataLength);
        *(int*)(control + sizeof(nuint)) = SolSocket;
        *(int*)(control + sizeof(nuint) + sizeof(int)) = ScmRights;
        var data = (int*)(control + Align(HeaderSize));
        for (var i = 0; i < descriptors.Count; i++) data[i] = descriptors[i];

        var b = marker;
        var iov = new IoVec { Base = &b, Length = 1 };
        var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        nint n;
        while ((n = SendMsg(socket, &msg, 0)) < 0 && Marshal.GetLastPInvokeError() == Eintr) { }
        if (n != 1) throw new IOException($"sending descriptors failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>
    /// Receives one marker byte and the descriptors attached to it (close-on-exec, owned by the caller);
    /// null at end of stream. At most <paramref name="max"/> are kept: any more are closed at once.
    /// </summary>
    public static (byte Marker, int[] Descriptors)? Receive(int socket, int max)
    {
        var space = Align(HeaderSize) + Align(MaxDescriptors * sizeof(int));
        var control = stackalloc byte[space];
        byte b = 0;
        var iov = new IoVec { Base = &b, Length = 1 };
        var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        nint n;
        while ((n = RecvMsg(socket, &msg, MsgCmsgCloexec)) < 0 && Marshal.GetLastPInvokeError() == Eintr) { }
        if (n < 0) throw new IOException($"receiving descriptors failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        if (n == 0) return null;

        var fds = new List<int>();
        var offset = 0;
        var length = (int)msg.ControlLength;
        while (offset + HeaderSize <= length)
        {
            var cmsgLength = (int)*(nuint*)(control + offset);
            var level = *(int*)(control + offset + sizeof(nuint));
            var type = *(int*)(control + offset + sizeof(nuint) + sizeof(int));
            if (cmsgLength < HeaderSize || offset + cmsgLength > length) break;
            if (level == SolSocket && type == ScmRights)
            {
                var count = (cmsgLength - Align(HeaderSize)) / sizeof(int);
                var data = (int*)(control + offset + Align(HeaderSize));
                for (var i = 0; i < count; i++) fds.Add(data[i]);
            }
            offset += Align(cmsgLength);
        }
        // Whatever a peer sends beyond what is asked for is not kept open.
        foreach (var extra in fds.Skip(max)) Close(extra);
        return (b, fds.Take(max).ToArray());
    }

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
