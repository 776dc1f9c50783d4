using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels.Supervision;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The system side of a connection. The daemon hands it validated intents; it brings them up
/// transactionally (all or nothing) and takes them down idempotently.
/// </summary>
public interface ITunnelService
{
    /// <summary>Brings an exit up for <paramref name="caller"/>, whose identity its hooks run with.</summary>
    Task<TunnelInfo> UpAsync(TunnelUpArgs args, CallerIdentity caller, CancellationToken cancellationToken);

    /// <summary>Takes an instance down, cleaning whatever is left of it; false when nothing was there.</summary>
    Task<bool> DownAsync(string instance, CancellationToken cancellationToken);

    /// <summary>Every instance, each checked (namespace, interface, processes, handshake).</summary>
    Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Every instance as recorded, nothing checked: names, modes and ports, at no cost per instance.</summary>
    IReadOnlyList<TunnelInfo> ListRecorded();

    Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken);

    /// <summary>The interface as <c>wg show</c> prints it, or null when the instance is unknown.</summary>
    Task<WgShowResult?> WgShowAsync(string instance, CancellationToken cancellationToken) => Task.FromResult<WgShowResult?>(null);

    /// <summary>
    /// Supervises exits from now on (the socket daemon, which stays while it supervises); a service that cannot
    /// leaves its exits unsupervised, as over the stdio transport.
    /// </summary>
    Task SuperviseAsync(IDaemonLease lease, Action<string> log, CancellationToken cancellationToken) => Task.CompletedTask;
}
