namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// The firewall's part of every exit, run before the interface exists and so before any route changes. Direct
/// mode with the kill switch turns it on here. Any exit, while lockdown or a kill switch is on, gets its
/// encrypted traffic to its server let through here (else its handshake could not pass). Taking the exit down
/// closes that hole again and, for the direct instance, ends its kill switch; a connect that fails keeps the
/// kill switch (the user asked not to leak) and only closes the hole.
/// </summary>
internal static class FirewallSteps
{
    public static TunnelStep Allow() => new("firewall", AllowAsync, DisallowAsync);

    private static Task AllowAsync(TunnelContext c, CancellationToken ct) =>
        c.Record.KillSwitch ? c.KillSwitch.HoldForDirectAsync(c.Record, ct) : c.KillSwitch.RefreshAsync(null, ct);

    private static Task DisallowAsync(TunnelContext c, CancellationToken ct) =>
        c.RollingBack ? c.KillSwitch.RefreshAsync(c.Record.Instance, ct) : c.KillSwitch.ReleaseAsync(c.Record.Instance, ct);
}
