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
    /// <summary>
    /// Brings an intent up for <paramref name="caller"/>: its uid is recorded as the instance's owner, and its hooks run
    /// with its identity.
    /// </summary>
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
    /// <summary>Whether tunmux's firewall table is in place, and why (kill switch, lockdown).</summary>
    Task<FirewallStatus> FirewallStatusAsync(CancellationToken cancellationToken) =>
        throw new PrivilegedException(ErrorCodes.NotImplemented, "this tunnel service has no firewall");

    /// <summary>Lockdown on or off; it outlives connections and daemon restarts until turned off.</summary>
    Task<FirewallStatus> SetLockdownAsync(LockdownArgs args, uint? byUid, CancellationToken cancellationToken) =>
        throw new PrivilegedException(ErrorCodes.NotImplemented, "this tunnel service has no firewall");

    /// <summary>While the firewall blocks, lets user <paramref name="uid"/> reach these API endpoints until <see cref="ReleaseApiAsync"/>.</summary>
    Task AllowApiAsync(long connectionId, uint uid, IReadOnlyList<string> endpoints, CancellationToken cancellationToken) =>
        throw new PrivilegedException(ErrorCodes.NotImplemented, "this tunnel service has no firewall");

    /// <summary>
    /// A rootless exit of user <paramref name="uid"/> is up, sending to <paramref name="endpoint"/> (or gone, when null):
    /// while the firewall blocks, that user's own sockets may reach that address and port by UDP.
    /// </summary>
    Task RootlessExitAsync(uint uid, string instance, string? endpoint, CancellationToken cancellationToken) =>
        throw new PrivilegedException(ErrorCodes.NotImplemented, "this tunnel service has no firewall");

    /// <summary>Closes what <see cref="AllowApiAsync"/> opened for a client connection (called when it closes).</summary>
    Task ReleaseApiAsync(long connectionId) => Task.CompletedTask;

    /// <summary>At daemon start: the firewall table as its saved state says (lockdown holds again after a reboot).</summary>
    Task RestoreFirewallAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
