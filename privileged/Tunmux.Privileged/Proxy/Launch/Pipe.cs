using System.Text;

namespace Tunmux.Privileged.Proxy.Launch;

/// <summary>An anonymous pipe as two raw close-on-exec descriptors (for handing one end to a child).</summary>
internal sealed unsafe class Pipe : IDisposable
{
    private Pipe(int read, int write)
    {
        ReadFd = read;
        WriteFd = write;
    }

    public int ReadFd { get; private set; }
    public int WriteFd { get; private set; }

    public static Pipe Create()
    {
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) != 0) throw new IOException($"pipe2 failed (errno {Libc.LastError})");
        return new Pipe(fds[0], fds[1]);
    }

    public void CloseWrite()
    {
        if (WriteFd >= 0) Libc.Close(WriteFd);
        WriteFd = -1;
    }

    public void CloseRead()
    {
        if (ReadFd >= 0) Libc.Close(ReadFd);
        ReadFd = -1;
    }

    /// <summary>Blocks until a line arrives or every write end is closed; returns the line without its newline, or what came before the end.</summary>
    public string ReadLine()
    {
        var sb = new StringBuilder();
        var b = stackalloc byte[1];
        while (true)
        {
            var n = Libc.Read(ReadFd, b, 1);
            if (n < 0 && Libc.LastError == Libc.EINTR) continue;
            if (n <= 0 || b[0] == '\n') return sb.ToString();
            sb.Append((char)b[0]);
        }
    }

    public void Dispose()
    {
        CloseRead();
        CloseWrite();
    }
}
