using System.Runtime.Versioning;
using System.Globalization;
using System.Text;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// The daemon's log: one line per event in <see cref="PrivilegedPaths.DaemonLogFile"/>, a 0600 file in the 0700
/// state folder. Callers pass only redacted text (the protocol records' ToString hides keys and passwords);
/// every line is reduced to printable characters so a peer cannot forge log lines.
/// </summary>
public sealed class DaemonLog : IDisposable
{
    private const long RotateBytes = 10L << 20;
    private StreamWriter? _writer;
    private readonly string? _path;
    private readonly Lock _lock = new();

    private DaemonLog(StreamWriter? writer, string? path)
    {
        _writer = writer;
        _path = path;
    }

    /// <summary>Size at which the log moves to <c>.1</c> (one older generation kept) and starts anew.</summary>
    public long MaxBytes { get; init; } = RotateBytes;

    /// <summary>A log that drops everything (for tests of parts that log).</summary>
    public static DaemonLog None { get; } = new(null, null);

    [SupportedOSPlatform("linux")]
    public static DaemonLog Open(string path, long maxBytes = RotateBytes)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var info = new FileInfo(path);
        if (info.Exists && info.Length > maxBytes) File.Move(path, path + ".1", overwrite: true);
        return new DaemonLog(OpenWriter(path), path) { MaxBytes = maxBytes };
    }

    private static StreamWriter OpenWriter(string path)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        // An existing file may predate this rule; tighten it.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
    }

    public void Info(string message) => Write("INFO", message);
    public void Warn(string message) => Write("WARN", message);
    public void Error(string message) => Write("ERROR", message);

    private void Write(string level, string message)
    {
        if (_writer is null) return;
        var sb = new StringBuilder(message.Length + 40);
        sb.Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
          .Append(' ').Append(level).Append(' ');
        foreach (var c in message.Length > 2000 ? message[..2000] : message)
            sb.Append(char.IsControl(c) ? ' ' : c);
        lock (_lock)
        {
            try
            {
                _writer!.WriteLine(sb.ToString());
                if (_path is not null && _writer.BaseStream.Length > MaxBytes)
                {
                    _writer.Dispose();
                    File.Move(_path, _path + ".1", overwrite: true);
                    _writer = OpenWriter(_path);
                }
            }
            catch (IOException) { /* a full disk must not stop the daemon from answering */ }
        }
    }

    public void Dispose()
    {
        lock (_lock) _writer?.Dispose();
    }
}
