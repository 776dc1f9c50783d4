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
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

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
