using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Proxy.Launch;

/// <summary>
/// Starts a program with chosen descriptors placed at chosen numbers, through posix_spawn.
/// Each inherited descriptor is dup2'ed into place in the child only, which clears its
/// close-on-exec flag there and nowhere else: the parent's copies stay close-on-exec, so no
/// other program the daemon starts at the same moment can inherit a listener by accident
/// (the race that clearing FD_CLOEXEC around Process.Start would open).
/// The child gets its own session, so a terminal's Ctrl-C to the daemon does not reach it.
/// </summary>
internal static unsafe class NativeSpawn
{
    /// <summary>
    /// Spawns <paramref name="file"/>; <paramref name="fds"/> maps child descriptor numbers to parent descriptors.
    /// <paramref name="workingDirectory"/>, when given, is the child's working folder (else the daemon's);
    /// <paramref name="workingDirectoryFd"/>, when given, is an open folder the child changes to instead (a folder a
    /// caller handed over: entered by descriptor, so no path a caller controls is followed as root).
    /// <paramref name="controllingTerminal"/>, when given, is a terminal (<c>/dev/pts/N</c>) the child opens as its
    /// stdin, stdout and stderr right after starting its session: opened without <c>O_NOCTTY</c> by a session leader
    /// with no terminal, it becomes that session's controlling terminal (glibc runs the file actions after setsid).
    /// </summary>
    public static int Spawn(string file, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyDictionary<int, int> fds,
        string? workingDirectory = null, string? controllingTerminal = null, int? workingDirectoryFd = null)
    {
        if (controllingTerminal is not null && fds.Keys.Any(k => k <= 2))
            throw new ArgumentException("a controlling terminal takes descriptors 0 to 2");
        // Move sources out of the way of the targets first (targets are small numbers; a source at
        // one of them could be overwritten by an earlier dup2 in the child).
        var high = new Dictionary<int, int>();
        var folder = -1;
        try
        {
            if (workingDirectoryFd is { } wd)
            {
                folder = Libc.Fcntl(wd, Libc.F_DUPFD_CLOEXEC, 100);
                if (folder < 0) throw new IOException($"cannot duplicate descriptor {wd} (errno {Libc.LastError})");
            }
            foreach (var (target, source) in fds)
            {
                var dup = Libc.Fcntl(source, Libc.F_DUPFD_CLOEXEC, 100);
                if (dup < 0) throw new IOException($"cannot duplicate descriptor {source} (errno {Libc.LastError})");
                high[target] = dup;
            }

            var actions = stackalloc byte[Libc.FileActionsSize];
            var attr = stackalloc byte[Libc.SpawnAttrSize];
            var sigs = stackalloc byte[Libc.SigSetSize];
            Check(Libc.FileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(Libc.SpawnAttrInit(attr), "posix_spawnattr_init");
            var argvPtrs = new IntPtr[argv.Count + 1];
            var envPtrs = new IntPtr[env.Count + 1];
            try
            {
                if (controllingTerminal is not null)
                {
                    Check(Libc.FileActionsAddOpen(actions, 0, controllingTerminal, ORdwr, 0), "addopen");
                    Check(Libc.FileActionsAddDup2(actions, 0, 1), "adddup2");
                    Check(Libc.FileActionsAddDup2(actions, 0, 2), "adddup2");
                }
                else if (!fds.ContainsKey(0)) Check(Libc.FileActionsAddOpen(actions, 0, "/dev/null", Libc.O_RDONLY, 0), "addopen");
                foreach (var (target, source) in high) Check(Libc.FileActionsAddDup2(actions, source, target), "adddup2");
                if (folder >= 0) Check(Libc.FileActionsAddFchdir(actions, folder), "addfchdir");
                else if (workingDirectory is not null) Check(Libc.FileActionsAddChdir(actions, workingDirectory), "addchdir");
                // Descriptors the daemon itself inherited without close-on-exec (from sudo, a shell, a test
                // runner) must not follow into the child: close everything above the placed ones.
                var highest = Math.Max(fds.Count == 0 ? 0 : fds.Keys.Max(), controllingTerminal is null ? 0 : 2);
                try { Check(Libc.FileActionsAddCloseFrom(actions, highest + 1), "addclosefrom"); }
                catch (EntryPointNotFoundException) { /* glibc older than 2.34: best effort */ }

                // A fresh session, an empty signal mask and default dispositions (the runtime ignores SIGPIPE).
                Libc.SigEmptySet(sigs);
                Check(Libc.SpawnAttrSetSigMask(attr, sigs), "setsigmask");
                Libc.SigFillSet(sigs);
                Check(Libc.SpawnAttrSetSigDefault(attr, sigs), "setsigdefault");
                Check(Libc.SpawnAttrSetFlags(attr, (short)(Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF)), "setflags");

                for (var i = 0; i < argv.Count; i++) argvPtrs[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
                for (var i = 0; i < env.Count; i++) envPtrs[i] = Marshal.StringToCoTaskMemUTF8(env[i]);
                fixed (IntPtr* a = argvPtrs)
                fixed (IntPtr* e = envPtrs)
                {
                    var rc = Libc.PosixSpawn(out var pid, file, actions, attr, a, e);
                    if (rc != 0) throw new IOException($"cannot start {file}: {Marshal.GetPInvokeErrorMessage(rc)}");
                    return pid;
                }
            }
            finally
            {
                foreach (var p in argvPtrs) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
                foreach (var p in envPtrs) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
                Libc.FileActionsDestroy(actions);
                Libc.SpawnAttrDestroy(attr);
            }
        }
        finally
        {
            foreach (var d in high.Values) Libc.Close(d);
            if (folder >= 0) Libc.Close(folder);
        }
    }

    private const int ORdwr = 2;

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(rc)}");
    }
}
