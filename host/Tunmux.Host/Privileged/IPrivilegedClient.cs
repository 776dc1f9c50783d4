using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>
/// A connection to the privileged daemon, held for one command. Every failure a user can hit is a
/// <see cref="PrivilegedException"/> with a one-line message. Disposing releases the command's lease and,
/// in <c>command</c> autostop mode, asks the daemon to stop if nothing else needs it.
/// </summary>
public interface IPrivilegedClient : IAsyncDisposable
{
    Task<VersionResult> PingAsync(CancellationToken ct);

    Task<TunnelInfo> TunnelUpAsync(TunnelUpArgs args, CancellationToken ct);

    Task<TunnelDownResult> TunnelDownAsync(string instance, CancellationToken ct);

    /// <summary>Every instance the daemon runs, each checked.</summary>
    Task<IReadOnlyList<TunnelInfo>> TunnelListAsync(CancellationToken ct);

    /// <summary>Every instance as the daemon recorded it, unchecked (see <see cref="TunnelListArgs"/>): names and ports.</summary>
    Task<IReadOnlyList<TunnelInfo>> TunnelListRecordedAsync(CancellationToken ct);

    /// <summary>The instance as the daemon sees it, or null when it knows nothing of it.</summary>
    Task<TunnelInfo?> TunnelInspectAsync(string instance, CancellationToken ct);

    /// <summary>The instance's WireGuard interface as <c>wg show</c> prints it (keys hidden); only its owner or root may ask.</summary>
    Task<WgShowResult> TunnelWgAsync(string instance, CancellationToken ct);

    /// <summary>Ends a process the daemon started; the daemon refuses any other PID.</summary>
    Task KillPidAsync(int pid, CancellationToken ct);

    /// <summary>Lockdown on or off; answers what the firewall holds now.</summary>
    Task<FirewallStatus> SetLockdownAsync(LockdownArgs args, CancellationToken ct);

    Task<FirewallStatus> FirewallStatusAsync(CancellationToken ct);

    /// <summary>While the firewall blocks: lets this user's TCP connections to these addresses through until this client disconnects.</summary>
    Task AllowApiAsync(IReadOnlyList<string> endpoints, CancellationToken ct);

    /// <summary>While the firewall blocks: this user's rootless exit sends to <paramref name="endpoint"/> (null: it is gone).</summary>
    Task RootlessExitAsync(string instance, string? endpoint, CancellationToken ct);
}

/// <summary>Codes of failures found on the client side, before or instead of a daemon answer.</summary>
public static class ClientErrorCodes
{
    public const string Unavailable = "unavailable";
    public const string SudoMissing = "sudo_missing";
    public const string SudoPassword = "sudo_password";
    public const string StartupTimeout = "startup_timeout";
    public const string LaunchFailed = "launch_failed";
}

/// <summary>The exact wording of the failures a user can hit while reaching the daemon.</summary>
public static class ClientMessages
{
    public const string AutostartDisabled = "autostart disabled and privileged socket unavailable";
    public const string SudoNotFound = "sudo not found in PATH";
    public const string SudoPasswordNoTty = "sudo password required but no TTY available";
    public const string StartupTimeout = "startup timeout waiting for privileged daemon readiness";
    public const string Denied = "authorization denied by privileged daemon";
}
