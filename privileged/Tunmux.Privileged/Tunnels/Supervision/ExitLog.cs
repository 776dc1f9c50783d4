using System.Globalization;
using System.Text;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// One exit's log (<see cref="PrivilegedPaths.ExitLogFile"/>): what its supervisor saw and did, and the output of
/// its hooks, one timestamped line each. Root-only (0600 in a 0700 folder); lines are reduced to printable
/// characters, so a hook's output cannot forge lines of its own.
/// </summary>
internal sealed class ExitLog(string path)
{
    private const long RotateBytes = 4L << 20;
    private static readonly Lock Gate = new();

    public string Path { get; } = path;

    public void Write(string message)
    {
        var sb = new StringBuilder(message.Length + 32);
        sb.Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)).Append(' ');
        foreach (var c in message.Length > 2000 ? message[..2000] : message) sb.Append(char.IsControl(c) ? ' ' : c);
        sb.Append('\n');
        lock (Gate)
        {
            try
            {
                SecureFiles.PrivateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                var info = new FileInfo(Path);
                if (info.Exists && info.Length > RotateBytes) File.Move(Path, Path + ".1", overwrite: true);
                using var stream = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                stream.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            }
            catch (IOException)
            {
                // A full disk must not stop the supervisor.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>The last lines, oldest first (for <c>status</c> and error messages).</summary>
    public IReadOnlyList<string> Tail(int lines)
    {
        try
        {
            var all = File.ReadAllLines(Path);
            return all.Length <= lines ? all : all[^lines..];
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
