using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Privileged;
using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels.Rootless;

namespace Tunmux.Host.Rootless;

/// <summary>
/// A rootless exit under tunmux's firewall: while a kill switch or lockdown blocks (the daemon's world-readable status
/// file says so), the daemon is told the exit's endpoint before its first packet and that it is gone after its last,
/// so the user's own pasta may reach that server and nothing else. With no firewall in place nothing is asked of
/// anyone: a rootless exit needs no daemon.
/// </summary>
internal sealed class RootlessFirewall(GeneralConfig general, Action<string> warn) : IRootlessFirewall
{
    private static bool Blocks() => FirewallView.Read(PrivilegedPaths.FromEnvironment()) is { Active: true };

    public async Task AllowAsync(string instance, string endpoint, CancellationToken ct)
    {
        if (!Blocks()) return;
        try
        {
            await using var daemon = await DaemonAccess.ConnectAsync(general, ct).ConfigureAwait(false);
            await daemon.RootlessExitAsync(instance, endpoint, ct).ConfigureAwait(false);
        }
        catch (PrivilegedException e)
        {
            throw new PrivilegedException(e.Code,
                $"tunmux's firewall (a kill switch or lockdown) blocks traffic outside tunnels, and the daemon did not let rootless exit " +
                $"{instance}'s traffic to {endpoint} through: {e.Message}; start the daemon (or turn lockdown off) and connect again");
        }
    }

    public async Task ReleaseAsync(string instance, CancellationToken ct)
    {
        if (!Blocks()) return;
        try
        {
            await using var daemon = await DaemonAccess.ConnectAsync(general, ct).ConfigureAwait(false);
            await daemon.RootlessExitAsync(instance, null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PrivilegedException or IOException or OperationCanceledException)
        {
            warn($"warning: the firewall still lets {instance}'s server through ({e.Message}); it goes with the next 'tunmux lockdown off' or disconnect of the kill switch");
        }
    }

    /// <summary>
    /// The user's running rootless exits, told to the daemon once its firewall blocks (after <c>lockdown on</c> or a
    /// direct connect with the kill switch), so exits that were up before keep working. What the daemon refuses is a
    /// warning: the command that turned the firewall on has done its part.
    /// </summary>
    public static async Task AnnounceRunningAsync(IPrivilegedClient daemon, Action<string> warn, CancellationToken ct)
    {
        foreach (var exit in RootlessExits.Recorded())
        {
            if (exit.Endpoint is not { } endpoint || RootlessExits.Problems(exit.Instance).Count > 0) continue;
            try
            {
                await daemon.RootlessExitAsync(exit.Instance, endpoint, ct).ConfigureAwait(false);
            }
            catch (PrivilegedException e)
            {
                warn($"warning: rootless exit {exit.Instance} cannot reach its server while the firewall blocks: {e.Message}");
            }
        }
    }
}
