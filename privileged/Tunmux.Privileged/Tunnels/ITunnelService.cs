using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The system side of a connection. The daemon hands it validated intents; it brings them up
/// transactionally (all or nothing) and takes them down idempotently.
/// </summary>
public interface ITunnelService
{
    /// <summary>Brings an intent up for <paramref name="ownerUid"/>, recorded as the instance's owner.</summary>
    Task<TunnelInfo> UpAsync(TunnelUpArgs args, uint ownerUid, CancellationToken cancellationToken);

    /// <summary>Takes an instance down, cleaning whatever is left of it; false when nothing was there.</summary>
    Task<bool> DownAsync(string instance, CancellationToken cancellationToken);

    /// <summary>Every instance, each checked (namespace, interface, processes, handshake).</summary>
    Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Every instance as recorded, nothing checked: names, modes and ports, at no cost per instance.</summary>
    IReadOnlyList<TunnelInfo> ListRecorded();

    Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken);
}
