using System.Runtime.InteropServices;

namespace Tunmux.Privileged.Daemon;

/// <summary>The few libc calls the daemon needs that .NET does not expose.</summary>
internal static unsafe partial class Posix
{
    public const int SolSocket = 1;
    public const int SoPeerCred = 17;
    public const int SoPeerGroups = 59;
    public const int SigTerm = 15;
    public const int SigKill = 9;
    private const int Erange = 34;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "getpwuid_r", SetLastError = true)]
    private static partial int GetPwUidR(uint uid, Passwd* pwd, byte* buf, nint buflen, Passwd** result);

    [LibraryImport("libc", EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetGroupList(string user, uint group, uint* groups, int* ngroups);
    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int GetPwNamR(string name, Passwd* pwd, byte* buf, nint buflen, Passwd** result);

    [LibraryImport("libc", EntryPoint = "getgrgid_r", SetLastError = true)]
    private static partial int GetGrGidR(uint gid, Group* grp, byte* buf, nint buflen, Group** result);

    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int GetGrNamR(string name, Group* grp, byte* buf, nint buflen, Group** result);

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public byte* Name;
        public byte* Password;
        public uint Uid;
        public uint Gid;
        public byte* Gecos;
        public byte* Dir;
        public byte* Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Group
    {
        public byte* Name;
        public byte* Password;
        public uint Gid;
        public byte** Members;
    }

    /// <summary>A user's name and primary group from the user database, or null when the uid has no entry.</summary>
    public static (string Name, uint PrimaryGid)? LookupUser(uint uid) =>
        LookupAccount(uid) is { } a ? (a.Name, a.PrimaryGid) : null;

    /// <summary>A user's entry in the user database (name, primary group, home, shell), or null when the uid has none.</summary>
    public static Account? LookupAccount(uint uid)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                Passwd pwd;
                Passwd* result = null;
                var rc = GetPwUidR(uid, &pwd, b, size, &result);
                if (rc == Erange) continue;
                if (rc != 0 || result == null) return null;
                return new Account(Marshal.PtrToStringUTF8((nint)pwd.Name) ?? "", pwd.Gid,
                    Marshal.PtrToStringUTF8((nint)pwd.Dir) ?? "/", Marshal.PtrToStringUTF8((nint)pwd.Shell) ?? "");
            }
        }
        return null;
    }

    public sealed record Account(string Name, uint PrimaryGid, string Home, string Shell);

    /// <summary>The groups the user database gives <paramref name="user"/> (primary included), as a login would.</summary>
    public static IReadOnlyList<uint> GroupsOf(string user, uint primaryGid)
    {
        for (var n = 64; n <= 1 << 16; n *= 4)
        {
            var groups = new uint[n];
            var count = n;
            fixed (uint* g = groups)
            {
                if (GetGroupList(user, primaryGid, g, &count) >= 0) return groups[..count];
            }
        }
        return [primaryGid];
    }

    /// <summary>A user's uid from the user database, or null when there is no such user.</summary>
    public static uint? LookupUserByName(string name)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                Passwd pwd;
                Passwd* result = null;
                var rc = GetPwNamR(name, &pwd, b, size, &result);
                if (rc == Erange) continue;
                return rc != 0 || result == null ? null : pwd.Uid;
            }
        }
        return null;
    }

    /// <summary>A group's id and member names by gid, or null when there is no such group.</summary>
    public static (uint Gid, IReadOnlyList<string> Members)? LookupGroup(uint gid) => LookupGroupCore(null, gid);

    /// <summary>A group's id and member names from the group database, or null when there is no such group.</summary>
    public static (uint Gid, IReadOnlyList<string> Members)? LookupGroup(string name) => LookupGroupCore(name, 0);

    private static (uint Gid, IReadOnlyList<string> Members)? LookupGroupCore(string? name, uint gid)
    {
        for (var size = 4096; size <= 1 << 22; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* b = buffer)
            {
                Group grp;
                Group* result = null;
                var rc = name is null ? GetGrGidR(gid, &grp, b, size, &result) : GetGrNamR(name, &grp, b, size, &result);
                if (rc == Erange) continue;
                if (rc != 0 || result == null) return null;
                var members = new List<string>();
                for (var m = grp.Members; m != null && *m != null; m++)
                    members.Add(Marshal.PtrToStringUTF8((nint)(*m)) ?? "");
                return (grp.Gid, members);
            }
        }
        return null;
    }

    /// <summary>Points stdin, stdout and stderr at /dev/null (a background daemon must not hold its launcher's pipes open).</summary>
    public static void DetachStandardStreams()
    {
        const int oRdwr = 2;
        var fd = Open("/dev/null", oRdwr);
        if (fd < 0) return;
        for (var target = 0; target <= 2; target++) Dup2(fd, target);
        if (fd > 2) Close(fd);
    }

    /// <summary>Marks an inherited descriptor close-on-exec so the processes the daemon starts do not inherit it.</summary>
    public static void SetCloseOnExec(int fd)
    {
        const int fGetFd = 1, fSetFd = 2, fdCloexec = 1;
        var flags = Fcntl(fd, fGetFd, 0);
        if (flags >= 0) Fcntl(fd, fSetFd, flags | fdCloexec);
    }
}
