namespace Tunmux.Host.Cli;

/// <summary>
/// Start-up work for the second core while the first goes on with the command: a thread of its own, not a thread-pool
/// task, since a command that otherwise never needs the pool would first pay for starting it (a worker and its gate
/// thread, 4–7 ms). What the work throws is thrown where its result is awaited.
/// </summary>
internal static class SideThread
{
    public static Task<T> Start<T>(string name, Func<T> work)
    {
        // No asynchronous continuations: whoever awaits a result that comes late goes on on this thread, not the pool.
        var result = new TaskCompletionSource<T>();
        new Thread(() =>
        {
            try
            {
                result.SetResult(work());
            }
#pragma warning disable CA1031 // handed as it was thrown to whoever awaits the result
            catch (Exception e)
            {
                result.SetException(e);
            }
#pragma warning restore CA1031
        }) { IsBackground = true, Name = name }.Start();
        return result.Task;
    }
}
