using System.Text;
using Tunmux.Contracts;
using Tunmux.Host.Storage;

namespace Tunmux.Host.Credentials;

/// <summary>
/// Items as files <c>&lt;config&gt;/&lt;provider&gt;/&lt;item&gt;</c>: 0600 files in 0700 folders, replaced
/// atomically (a dot-prefixed temporary file in the same folder, fsync, rename), and owned by the
/// invoking user even when the command ran under sudo.
/// </summary>
public sealed class FileCredentialStore : ICredentialStore
{
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

    public Task SetAsync(string item, string value, CancellationToken cancellationToken)
    {
        var path = PathOf(item);
        try
        {
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(value), BeforeRename);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialStoreException($"cannot write credential {path}: {e.Message}; check that {_dir} is yours and writable", e);
        }
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string item, CancellationToken cancellationToken)
    {
        var path = PathOf(item);
        try
        {
            return Task.FromResult(AtomicFile.Delete(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialStoreException($"cannot delete credential {path}: {e.Message}; check that {_dir} is yours and writable", e);
        }
    }
}
