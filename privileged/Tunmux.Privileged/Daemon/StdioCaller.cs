using System.Globalization;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// Who is asking a stdio helper. sudo names the user it ran us for in <c>SUDO_UID</c>/<c>SUDO_GID</c>
/// (it sets them itself, resetting the rest of the environment); that user passes the same group check
/// as a socket peer. Without them (started directly, or by doas, pkexec or run0, which this daemon does
/// not take the word of) the caller is the parent process, and it must be root: the helper is never
/// treated as root's just because it runs as root.
/// </summary>
public static class StdioCaller
{
    /// <summary>The caller; <see cref="PeerCredentials.Pid"/> is 0 when the identity came from sudo, else the parent's PID.</summary>
    public static PeerCredentials Identify(string? sudoUid, string? sudoGid, uint euid, Parent? parent)
    {
        if (euid != 0)
        {
            // Not root: it can do no more than its own user could; that user is the caller.
            return new PeerCredentials(Environment.ProcessId, euid, euid);
        }
        // Only sudo's own word counts: under doas with keepenv a caller could set SUDO_UID itself.
        if (parent is { IsSudo: true }
            && uint.TryParse(sudoUid, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && uint.TryParse(sudoGid, NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            return new PeerCredentials(0, uid, gid);
        // uint.MaxValue: no parent to ask (never root).
        return parent is { } p ? new PeerCredentials(p.Pid, p.Uid, p.Gid) : new PeerCredentials(-1, uint.MaxValue, uint.MaxValue);
    }

    /// <summary>The parent process: its PID, real uid and gid, and whether it is the system's sudo.</summary>
    public sealed record Parent(int Pid, uint Uid, uint Gid, bool IsSudo);

    /// <summary>The parent process, from /proc, or null when it cannot be read.</summary>
    public static Parent? ReadParent()
    {
        try
        {
            var ppid = ReadField("/proc/self/status", "PPid:");
            if (ppid is not { } p || p <= 0) return null;
            var status = $"/proc/{p}/status";
            if (ReadField(status, "Uid:") is not { } u || ReadField(status, "Gid:") is not { } g) return null;
            var exe = new FileInfo($"/proc/{p}/exe").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
            var isSudo = exe is not null && Path.GetFileName(exe) == "sudo" && Processes.SystemPaths.IsTrustedExecutable(exe);
            return new Parent((int)p, (uint)u, (uint)g, isSudo);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The first number after <paramref name="key"/> (the real id for Uid:/Gid:).</summary>
    private static long? ReadField(string path, string key)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var first = line[key.Length..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        return null;
    }
}
