namespace Tunmux.Host.Storage;

/// <summary>
/// The one way the host writes state and secrets: a dot-named temporary file in the same folder,
/// flushed to disk, renamed over the target, then the folder flushed, so a crash leaves either the
/// old or the new file, never half of one. Files are 0600 in 0700 folders (every level it creates),
/// and belong to the invoking user even when tunmux runs under sudo.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Test seam for every write: runs between writing the temporary file and renaming it.</summary>
    internal static Action<string>? BeforeRename { get; set; }

    /// <param name="beforeRename">A per-call test seam, run like <see cref="BeforeRename"/>.</param>
    public static void Write(string path, ReadOnlySpan<byte> content, Action<string>? beforeRename = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var owner = PosixFiles.SudoInvoker();
        EnsurePrivateDirectory(dir, owner);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var fs = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = PrivateFile,
            }))
            {
                fs.Write(content);
                // The data must be on disk before the rename makes it the file, or a crash could leave an empty one.
                fs.Flush(flushToDisk: true);
            }
            if (owner is { } o) PosixFiles.ChownOrThrow(tmp, o);
            (beforeRename ?? BeforeRename)?.Invoke(tmp);
            File.Move(tmp, path, overwrite: true);
            PosixFiles.FsyncDirectory(dir);
        }
        finally
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Deletes a file written here; false when it was absent.</summary>
    public static bool Delete(string path)
    {
        if (!File.Exists(path)) return false;
        File.Delete(path);
        PosixFiles.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return true;
    }

    /// <summary>Creates the folder and each missing parent 0700 (so a new <c>~/.config</c> is private too) and tightens the folder itself.</summary>
    public static void EnsurePrivateDirectory(string dir) => EnsurePrivateDirectory(dir, PosixFiles.SudoInvoker());

    private static void EnsurePrivateDirectory(string dir, (uint Uid, uint Gid)? owner)
    {
        var missing = new List<string>();
        for (var d = Path.GetFullPath(dir); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            missing.Insert(0, d);
        foreach (var level in missing)
        {
            Directory.CreateDirectory(level, PrivateDir);
            if (owner is { } o) PosixFiles.ChownOrThrow(level, o);
        }
        if (File.GetUnixFileMode(dir) != PrivateDir) File.SetUnixFileMode(dir, PrivateDir);
        if (owner is { } own) PosixFiles.ChownOrThrow(dir, own);
    }
}
