namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// How a rootless exit's encrypted traffic gets through tunmux's firewall (a kill switch or lockdown) when one
/// blocks: its wireguard-go sends through the user's own pasta, which no exit mark covers, so the daemon is told
/// the exit's endpoint before the first packet and that the exit is gone after the last. With no firewall in
/// place an implementation does nothing (and needs no daemon).
/// </summary>
public interface IRootlessFirewall
{
    /// <summary>Before the exit's first packet: its endpoint (an address, never a name) passes. Throws when it cannot.</summary>
    Task AllowAsync(string instance, string endpoint, CancellationToken ct);

    /// <summary>After the exit is gone (or failed to come up). Never throws: a failure is reported by the implementation.</summary>
    Task ReleaseAsync(string instance, CancellationToken ct);
}
