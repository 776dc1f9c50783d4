using System.Runtime.InteropServices;

namespace Tunmux.Host.Exec;

/// <summary>
/// The client's side of a program run at the caller's terminal through a pseudoterminal: the caller's
/// terminal in raw mode (keys, Ctrl-C included, go to the program's terminal as typed; its driver turns
/// them into signals), bytes copied both ways, and the caller's window size kept on the program's terminal.
/// The terminal's settings are put back whatever happens.
/// </summary>
internal sealed unsafe partial class TerminalRelay : IDisposable
{
    private const uint Tiocgwinsz = 0x5413, Tiocswinsz = 0x5414;
    private const int TcsaDrain = 1;
    private const int TermiosSize = 64;
    private const int Eintr = 4, Eagain = 11;

    private readonly int _master;
    private readonly int _input;
    private readonly int _output;
    private readonly byte[]? _saved;
    private Thread? _out;
    private PosixSignalRegistration? _winch;

    /// <param name="master">The program's terminal, master side (owned: closed on dispose).</param>
    /// <param name="input">The caller's terminal to read keys from, or -1 when the program's stdin is not the terminal.</param>
    /// <param name="output">Where the program's terminal output goes (the caller's terminal).</param>
    public TerminalRelay(int master, int input, int output)
    {
        _master = master;
        _input = input;
        _output = output;
        if (input >= 0)
        {
            var t = new byte[TermiosSize];
            fixed (byte* p = t)
            {
                if (TcGetAttr(input, p) == 0)
                {
                    _saved = t;
                    var raw = stackalloc byte[TermiosSize];
                    new Span<byte>(p, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
                    CfMakeRaw(raw);
                    TcSetAttr(input, TcsaDrain, raw);
                }
            }
        }
    }

    /// <summary>Copies the window size of the caller's terminal <paramref name="from"/> to the program's.</summary>
    public void CopyWindowSize(int from)
    {
        var size = stackalloc ushort[4];
        if (Ioctl(from, Tiocgwinsz, size) == 0) Ioctl(_master, Tiocswinsz, size);
    }

    /// <summary>Starts copying; window size changes of <paramref name="sizeFrom"/> follow until dispose.</summary>
    public void Start(int sizeFrom)
    {
        CopyWindowSize(sizeFrom);
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => CopyWindowSize(sizeFrom));
        _out = new Thread(() => Copy(_master, _output)) { IsBackground = true, Name = "exec terminal output" };
        _out.Start();
        if (_input >= 0)
            new Thread(() => Copy(_input, _master)) { IsBackground = true, Name = "exec terminal input" }.Start();
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until the program's terminal has nothing more to say.</summary>
    public bool WaitForOutput(TimeSpan timeout) => _out?.Join(timeout) ?? true;

    public void Dispose()
    {
        _winch?.Dispose();
        if (_saved is not null && _input >= 0)
            fixed (byte* p = _saved) TcSetAttr(_input, TcsaDrain, p);
        Close(_master);
    }

    /// <summary>Copies until either side ends (the slave's last holder gone reads as EIO: the end).</summary>
    private static void Copy(int from, int to)
    {
        var buffer = new byte[16 * 1024];
        fixed (byte* b = buffer)
        {
            while (true)
            {
                var n = Read(from, b, buffer.Length);
                if (n < 0 && Marshal.GetLastPInvokeError() is Eintr or Eagain) continue;
                if (n <= 0) return;
                var done = 0;
                while (done < n)
                {
                    var w = Write(to, b + done, n - done);
                    if (w < 0 && Marshal.GetLastPInvokeError() is Eintr or Eagain) continue;
                    if (w <= 0) return;
                    done += (int)w;
                }
            }
        }
    }

    /// <summary>True when <paramref name="fd"/> is a terminal.</summary>
    public static bool IsTerminal(int fd) => IsATty(fd) == 1;

    /// <summary>The terminal's size (rows, columns), or zeros when it has none.</summary>
    public static (ushort Rows, ushort Columns) WindowSize(int fd)
    {
        var size = stackalloc ushort[4];
        return Ioctl(fd, Tiocgwinsz, size) == 0 ? (size[0], size[1]) : ((ushort)0, (ushort)0);
    }

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int when, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw(byte* termios);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ushort* argument);

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
