using System.Runtime.InteropServices;

namespace Tunmux.Host.Rootless;

/// <summary>
/// Replaces this process with another program (execve): <c>tunmux exec</c> on a rootless exit becomes the
/// program itself, so its terminal, its process group (Ctrl-C, window size) and its exit code are simply
/// the caller's, with no process of tunmux left in between.
/// </summary>
internal static unsafe partial class ProcessImage
{
    private const int SigPipe = 13;
    private const int SigSetMask = 2;

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execve(string path, IntPtr* argv, IntPtr* envp);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr Signal(int signal, IntPtr handler);

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static partial int PthreadSigmask(int how, byte* set, byte* old);

    /// <summary>Executes <paramref name="file"/> with <paramref name="argv"/> and this process's environment; returns only on failure.</summary>
    public static void Replace(string file, IReadOnlyList<string> argv)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // The runtime ignores SIGPIPE, and an ignored signal stays ignored across execve: give the program the default.
        // Blocked signals would stay blocked too: this thread's mask is emptied.
        Signal(SigPipe, IntPtr.Zero);
        var empty = stackalloc byte[128];
        new Span<byte>(empty, 128).Clear();
        PthreadSigmask(SigSetMask, empty, null);

        var env = Environment.GetEnvironmentVariables();
        var argvPtrs = new IntPtr[argv.Count + 1];
        var envPtrs = new IntPtr[env.Count + 1];
        try
        {
            for (var i = 0; i < argv.Count; i++) argvPtrs[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            var k = 0;
            foreach (System.Collections.DictionaryEntry e in env) envPtrs[k++] = Marshal.StringToCoTaskMemUTF8($"{e.Key}={e.Value}");
            fixed (IntPtr* a = argvPtrs)
            fixed (IntPtr* p = envPtrs)
            {
                Execve(file, a, p);
            }
            throw new InvalidOperationException($"cannot run {file}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            foreach (var p in argvPtrs) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
            foreach (var p in envPtrs) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
        }
    }
}
