using System.Text;
using Tunmux.Contracts;

namespace Tunmux.Host.Credentials;

/// <summary>
/// Items as files <c>&lt;config&gt;/&lt;provider&gt;/&lt;item&gt;</c>: 0600 files in 0700 folders, replaced
/// atomically (a dot-prefixed temporary file in the same folder, fsync, rename), and owned by the
/// invoking user even when the command ran under sudo.
/// </summary>
public sealed class FileCredentialStore : ICredentialStore
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode ItemMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _dir;

    /// <param name="providerDir">The provider's folder holding the items; it and each missing parent are created 0700.</param>
    public FileCredentialStore(string providerDir) => _dir = providerDir;

    public string Description => $"file {_dir}";

    /// <summary>Called with the temporary file's path just before the rename; tests use it to simulate a crash there.</summary>
    internal Action<string>? BeforeRename { get; set; }

    public string PathOf(string item)
    {
        ItemNames.Validate(item);
        return Path.Combine(_dir, item);
    }

    public async Task<string?> GetAsync(string item, CancellationToken cancellationToken)
    {
        var path = PathOf(item);
        try
        {
            return await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken);
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialStoreException($"cannot read credential {path}: {e.Message}; check its owner and permissions (0600)", e);
        }
    }

    public async Task SetAsync(string item, string value, CancellationToken cancellationToken)
    {
        var path = PathOf(item);
        var owner = PosixFiles.SudoInvoker();
        var tmp = Path.Combine(_dir, $".{item}.tmp-{Guid.NewGuid():N}");
        try
        {
            EnsureFolders(owner);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = ItemMode;
            await using (var stream = new FileStream(tmp, options))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(value), cancellationToken);
                // The data must be on disk before the rename makes it the item, or a crash could leave an empty file.
                stream.Flush(flushToDisk: true);
            }
            if (owner is { } o) PosixFiles.ChownOrThrow(tmp, o);
            BeforeRename?.Invoke(tmp);
            File.Move(tmp, path, overwrite: true);
            PosixFiles.FsyncDirectory(_dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialStoreException($"cannot write credential {path}: {e.Message}; check that {_dir} is yours and writable", e);
        }
        finally
        {
            TryDelete(tmp);
        }
    }

    public Task<bool> DeleteAsync(string item, CancellationToken cancellationToken)
    {
        var path = PathOf(item);
        try
        {
            if (!File.Exists(path)) return Task.FromResult(false);
            File.Delete(path);
            PosixFiles.FsyncDirectory(_dir);
            return Task.FromResult(true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialStoreException($"cannot delete credential {path}: {e.Message}; check that {_dir} is yours and writable", e);
        }
    }

    /// <summary>
    /// Creates the config and provider folders 0700 (each missing level, so a new <c>~/.config</c> is
    /// private too), hands what it created to the sudo invoker, and tightens the provider folder.
    /// </summary>
    private void EnsureFolders((uint Uid, uint Gid)? owner)
    {
        foreach (var dir in MissingLevels(_dir))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, FolderMode);
            if (owner is { } o) PosixFiles.ChownOrThrow(dir, o);
        }
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(_dir, FolderMode);
        if (owner is { } own) PosixFiles.ChownOrThrow(_dir, own);
    }

    private static List<string> MissingLevels(string dir)
    {
        var missing = new List<string>();
        for (var d = Path.GetFullPath(dir); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            missing.Insert(0, d);
        return missing;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
