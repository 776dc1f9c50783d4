namespace Tunmux.Host.Storage;

/// <summary>
/// Writes files the only safe way for state and secrets: a temporary file in the same folder,
/// flushed to disk, then renamed over the target, so a crash leaves either the old or the new
/// file, never half of one. Files are 0600 in 0700 folders, and belong to the invoking user
/// even when tunmux runs under sudo.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Test seam: runs between writing the temporary file and renaming it.</summary>
    internal static Action<string>? BeforeRename { get; set; }

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        EnsurePrivateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFile,
            }))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            SudoOwner.Apply(tmp);
            BeforeRename?.Invoke(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteText(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Creates the folder (and missing parents) as 0700; tightens an existing one.</summary>
    public static void EnsurePrivateDirectory(string dir)
    {
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, PrivateDir);
            SudoOwner.Apply(dir);
        }
        else if ((File.GetUnixFileMode(dir) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                               UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            File.SetUnixFileMode(dir, PrivateDir);
        }
    }
}

/// <summary>When root runs tunmux through sudo, files in the user's config folder stay the user's.</summary>
public static class SudoOwner
{
    public static void Apply(string path)
    {
        if (Native.GetUid() != 0) return;
        if (!uint.TryParse(Environment.GetEnvironmentVariable("SUDO_UID"), out var uid) || uid == 0) return;
        var gid = uint.TryParse(Environment.GetEnvironmentVariable("SUDO_GID"), out var g) ? g : uid;
        _ = Native.Chown(path, uid, gid);
    }
}
