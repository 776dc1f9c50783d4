namespace Tunmux.Privileged.Tunnels;

/// <summary>Root-only folders (0700) and secret files (0600, written to a temporary name and renamed into place).</summary>
internal static class SecureFiles
{
    private const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder 0700, and makes it 0700 when something else created it first.</summary>
    public static void PrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        Directory.CreateDirectory(path, DirMode);
        File.SetUnixFileMode(path, DirMode);
    }

    /// <summary>Writes <paramref name="path"/> atomically, never readable by anyone but its owner, not even for a moment.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        var tmp = path + ".tmp";
        File.Delete(tmp);
        using (var stream = new FileStream(tmp, new FileStreamOptions
               { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode }))
        {
            write(stream);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
