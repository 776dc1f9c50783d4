using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// A kernel pipe used as the in-between buffer of a <c>splice(2)</c> relay: bytes go socket → pipe
/// → socket as page references, never through user space. Both ends are non-blocking and
/// close-on-exec; the owner disposes it on every path, so a relay leaks no descriptor.
/// </summary>
internal sealed unsafe partial class SplicePipe : IDisposable
{
    private const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const int F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
    private const uint SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
    public const int EAGAIN = 11, EINVAL = 22, ENOSYS = 38, EOPNOTSUPP = 95;

    /// <summary>
    /// Asked-for pipe capacity. 1 MiB (the unprivileged maximum) measured no faster on loopback and
    /// would use up the proxy user's pipe budget (<c>fs.pipe-user-pages-soft</c>, 64 MiB by default,
    /// shared by every proxy process) four times sooner.
    /// </summary>
    public const int WantedCapacity = 256 * 1024;

    /// <summary>
    /// Below this a pipe is not worth splicing through: once the proxy user's pipe budget is used
    /// up, the kernel refuses <c>F_SETPIPE_SZ</c> and hands out two-page pipes, and splicing in
    /// 8 KiB steps is slower than the buffered relay's 128 KiB copies.
    /// </summary>
    public const int MinimumCapacity = 64 * 1024;

    private int _read = -1, _write = -1;

    private SplicePipe(int read, int write, int capacity)
    {
        _read = read;
        _write = write;
        Capacity = capacity;
    }

    /// <summary>Bytes one splice into the pipe may move.</summary>
    public int Capacity { get; }

    /// <summary>
    /// A new pipe, or null when none can be made (out of descriptors, no splice support) or the
    /// kernel only gives a small one (see <see cref="MinimumCapacity"/>); nothing is left open then.
    /// </summary>
    public static SplicePipe? TryCreate() => TryCreate(WantedCapacity);

    internal static SplicePipe? TryCreate(int wantedCapacity)
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return null;
        var size = Fcntl(fds[1], F_SETPIPE_SZ, wantedCapacity);
        // Refused (over the user's pipe budget): the pipe keeps whatever size the kernel gave it.
        if (size <= 0) size = Fcntl(fds[1], F_GETPIPE_SZ, 0);
        if (size < MinimumCapacity)
        {
            Close(fds[0]);
            Close(fds[1]);
            return null;
        }
        return new SplicePipe(fds[0], fds[1], size);
    }

    /// <summary>Moves up to <see cref="Capacity"/> bytes from a socket into the pipe. Returns the count, 0 at end of stream, -errno on failure.</summary>
    public long FillFrom(int socketFd) => Result(Splice(socketFd, null, _write, null, (nuint)Capacity, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));

    /// <summary>Moves up to <paramref name="count"/> bytes from the pipe into a socket. Returns the count or -errno.</summary>
    public long DrainTo(int socketFd, int count) => Result(Splice(_read, null, socketFd, null, (nuint)count, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));

    /// <summary>Reads bytes out of the pipe into memory (used when the destination socket is full). Returns the count or -errno.</summary>
    public long ReadInto(Span<byte> buffer)
    {
        fixed (byte* p = buffer) return Result(Read(_read, p, buffer.Length));
    }

    public void Dispose()
    {
        if (_read >= 0) { Close(_read); _read = -1; }
        if (_write >= 0) { Close(_write); _write = -1; }
    }

    private static long Result(nint r) => r >= 0 ? r : -Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint Splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint len, uint flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
