namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>What the supervisor reads of an exit's WireGuard interface on each check: the one peer's numbers.</summary>
/// <param name="RxBytes">Bytes received from the peer (a counter; it restarts when the peer is set anew).</param>
/// <param name="TxBytes">Bytes sent to the peer.</param>
/// <param name="LatestHandshake">The last completed handshake, or null when none yet.</param>
/// <param name="PeerPublicKey">The peer configured now.</param>
/// <param name="Endpoint">The peer's endpoint as the interface has it (an address, never a name).</param>
public sealed record InterfaceSnapshot(long RxBytes, long TxBytes, DateTimeOffset? LatestHandshake, string? PeerPublicKey, string? Endpoint);

/// <summary>Reads an exit's interface. Tests replace it with a fake that scripts the numbers.</summary>
public interface IInterfaceReader
{
    /// <summary>The snapshot, or an <see cref="InterfaceGoneException"/> when the interface no longer exists.</summary>
    Task<InterfaceSnapshot> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>The interface (or its userspace process) is gone: nothing left to supervise but to say so.</summary>
public sealed class InterfaceGoneException(string message) : Exception(message);
