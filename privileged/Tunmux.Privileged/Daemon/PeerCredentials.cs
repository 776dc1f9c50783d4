using System.Buffers.Binary;
using System.Net.Sockets;

namespace Tunmux.Privileged.Daemon;

/// <summary>Who is on the other end of a Unix socket, as the kernel recorded it at connect time (SO_PEERCRED).</summary>
public sealed record PeerCredentials(int Pid, uint Uid, uint Gid)
{
    public static PeerCredentials FromSocket(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        var length = socket.GetRawSocketOption(Posix.SolSocket, Posix.SoPeerCred, ucred);
        if (length < 12) throw new SocketException((int)SocketError.OperationNotSupported);
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]))
        {
            Groups = ReadGroups(socket),
        };
    }

    /// <summary>
    /// The peer's supplementary groups when it connected (<c>SO_PEERGROUPS</c>, Linux 4.13), so a program the
    /// daemon starts for it gets exactly the groups it had; empty where the kernel cannot say.
    /// </summary>
    public IReadOnlyList<uint> Groups { get; init; } = [];

    private static uint[] ReadGroups(Socket socket)
    {
        // Most users have a handful of groups; NGROUPS_MAX (65536) is the kernel's bound.
        foreach (var count in new[] { 256, 65536 })
        {
            var buffer = new byte[count * 4];
            try
            {
                var length = socket.GetRawSocketOption(Posix.SolSocket, Posix.SoPeerGroups, buffer);
                var groups = new uint[length / 4];
                for (var i = 0; i < groups.Length; i++) groups[i] = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i * 4));
                return groups;
            }
            catch (SocketException)
            {
                // Too small a buffer (ERANGE) or no support: try the bound, then give up.
            }
        }
        return [];
    }

    /// <summary>The identity programs started for this peer run with.</summary>
    public Processes.CallerIdentity Caller => new(Uid, Gid, Groups);

    public override string ToString() => $"pid {Pid} uid {Uid} gid {Gid}";
}

/// <summary>
/// Decides whether a peer may use the daemon: root, the daemon's own user, or a member of the authorized
/// group — by its primary group (in the user database or the connecting process's gid) or as a listed
/// supplementary member. Looked up at each connection, so removing a user from the group takes effect at once.
/// </summary>
public sealed class Authorizer(string? authorizedGroup)
{
    public const string DeniedMessage = "authorization denied by privileged daemon";

    public string? AuthorizedGroup { get; } = authorizedGroup;

    public bool IsAuthorized(PeerCredentials peer)
    {
        if (peer.Uid == 0 || peer.Uid == Posix.GetEuid()) return true;
        if (AuthorizedGroup is null) return false;
        if (Posix.LookupGroup(AuthorizedGroup) is not { } group) return false;
        if (peer.Gid == group.Gid) return true;
        if (Posix.LookupUser(peer.Uid) is not { } user) return false;
        return user.PrimaryGid == group.Gid || group.Members.Contains(user.Name, StringComparer.Ordinal);
    }
}
