using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Privileged.Proxy.Access;

/// <summary>
/// Who may use an exit's proxies: its owner and root, plus any uid or group the owner named
/// (<c>--proxy-allow</c>); everyone when it was shared on purpose (<c>--proxy-share</c>). Each accepted
/// connection's owner is asked of the kernel (<see cref="SockDiag"/>) before a byte of it is read, so no
/// client can talk its way past it, and nothing on the machine's firewall changes.
/// </summary>
public sealed class ClientAccess(SockDiag diag, IReadOnlySet<uint> uids, IReadOnlySet<uint> gids, bool share)
{
    private static readonly TimeSpan GroupCacheTime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<uint, (bool Member, long Until)> _groupCache = new();

    public SockDiag Diag { get; } = diag;
    public bool Share { get; } = share;

    /// <summary>The uid that owns the client end of an accepted TCP connection, or null when the kernel no longer knows it.</summary>
    public uint? ClientUid(Socket accepted) =>
        accepted.LocalEndPoint is IPEndPoint local && accepted.RemoteEndPoint is IPEndPoint remote
            ? Diag.TcpOwner(local: remote, remote: local)
            : null;

    /// <summary>Whether <paramref name="uid"/> may use this exit.</summary>
    public bool Allows(uint? uid)
    {
        if (Share) return true;
        if (uid is not { } u) return false;
        if (u == 0 || uids.Contains(u)) return true;
        return gids.Count > 0 && InAllowedGroup(u);
    }

    /// <summary>Group membership as the user database says now (cached briefly: it is read per connection).</summary>
    private bool InAllowedGroup(uint uid)
    {
        var now = Environment.TickCount64;
        if (_groupCache.TryGetValue(uid, out var cached) && cached.Until > now) return cached.Member;
        var member = false;
        if (Posix.LookupUser(uid) is { } user)
        {
            member = gids.Contains(user.PrimaryGid);
            foreach (var gid in gids)
            {
                if (member) break;
                member = Posix.LookupGroup(gid) is { } g && g.Members.Contains(user.Name, StringComparer.Ordinal);
            }
        }
        _groupCache[uid] = (member, now + (long)GroupCacheTime.TotalMilliseconds);
        return member;
    }
}
