namespace Tunmux.Privileged.Daemon;

/// <summary>
/// One state-changing operation at a time on the whole machine, whatever the transport: inside this
/// process by a semaphore, across processes (the socket daemon and any number of stdio helpers) by an
/// exclusive lock on <c>mutations.lock</c> in the root-only runtime folder. So two helpers cannot both
/// pass "instance already up" or "one direct connection" checks, and a second direct-mode up never
/// backs up the first one's resolv.conf.
/// </summary>
public sealed class MutationLock(string? path)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private readonly SemaphoreSlim _local = new(1, 1);

    public async Task<T> RunAsync<T>(Func<Task<T>> action, CancellationToken ct)
    {
        await _local.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var held = path is null ? null : await AcquireAsync(path, ct).ConfigureAwait(false);
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _local.Release();
        }
    }

    /// <summary>The file held open exclusively (flock); released when disposed or when the process dies.</summary>
    private static async Task<FileStream> AcquireAsync(string path, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            try
            {
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw new Protocol.PrivilegedException(Protocol.ErrorCodes.Failed,
                    $"another tunmux operation has held {path} for {Wait.TotalSeconds:0} s; try again when it has finished");
            }
        }
    }
}
