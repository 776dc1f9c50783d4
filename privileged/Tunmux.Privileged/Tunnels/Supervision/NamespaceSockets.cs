using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// Sockets that belong to an exit's network namespace. A socket belongs to the namespace of the thread that
/// created it, for its whole life; so a dedicated thread enters the namespace (<c>setns</c>), creates the
/// socket with one system call, and goes back before it ends. That thread does nothing else (in particular it
/// queues no work: the thread pool may create a worker on the queuing thread, which would then live in the
/// wrong namespace). The socket is then used from anywhere, asynchronously, and always reaches the network
/// through the exit's tunnel.
/// </summary>
internal static partial class NamespaceSockets
{
    private const int CloneNewNet = 0x40000000;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    /// <summary>A new socket in namespace <paramref name="ns"/> (<c>/run/netns/&lt;ns&gt;</c>), or in the daemon's own when null.</summary>
    public static Socket Create(string? ns, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        if (ns is null) return new Socket(family, type, protocol);
        var path = Path.Combine(SystemTools.SystemNetnsRunDir, ns);
        using var target = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        // The thread's own namespace, by its thread id (a thread may differ from its process).
        using var home = File.OpenHandle("/proc/thread-self/ns/net", FileMode.Open, FileAccess.Read);
        Socket? created = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (SetNs((int)target.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new IOException($"cannot enter network namespace {ns} (errno {Marshal.GetLastPInvokeError()})");
                try { created = new Socket(family, type, protocol); }
                finally
                {
                    // Back home before the thread ends, whatever happened (belt and braces: the thread is not reused).
                    SetNs((int)home.DangerousGetHandle(), CloneNewNet);
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        thread.Join();
        if (failure is not null) throw new IOException(failure.Message, failure);
        return created ?? throw new IOException($"no socket was created in namespace {ns}");
    }
}
