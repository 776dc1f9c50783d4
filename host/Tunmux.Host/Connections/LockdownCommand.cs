using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux lockdown on|off</c>: the daemon keeps tunmux's firewall table in place with no connection at all, so
/// nothing leaves the machine outside a tunnel until the user turns it off (it survives a restart of the daemon).
/// Without an argument it shows the state from the daemon's status file, so it needs no daemon.
/// </summary>
internal sealed class LockdownCommand(IConsoleIO console, GeneralConfig general)
{
    public async Task<int> RunAsync(string? state, bool allowLan, bool json, CancellationToken ct)
    {
        FirewallStatus? firewall;
        if (state is null)
        {
            firewall = FirewallView.Read(PrivilegedPaths.FromEnvironment());
        }
        else
        {
            await using var daemon = await DaemonAccess.ConnectAsync(general, ct);
            firewall = await daemon.SetLockdownAsync(new LockdownArgs { Enabled = state == "on", AllowLan = allowLan }, ct);
            // This user's rootless exits that are up keep their way to their servers (other users' exits are theirs to announce).
            if (firewall.Lockdown) await Rootless.RootlessFirewall.AnnounceRunningAsync(daemon, console.Error.WriteLine, ct);
        }

        if (json)
        {
            console.WriteJson(FirewallView.ToJson(firewall));
            return 0;
        }
        console.Out.WriteLine(Describe(firewall));
        return 0;
    }

    private static string Describe(FirewallStatus? f)
    {
        if (f is { Lockdown: true })
            return $"Lockdown: on{(f.AllowLan ? " (LAN allowed)" : "")}: nothing leaves this machine outside a tunnel, connected or not, " +
                   "until 'tunmux lockdown off'.";
        return f is { Active: true, KillSwitch: true }
            ? "Lockdown: off. The kill switch of the direct connection still blocks everything outside its tunnel until 'tunmux disconnect'."
            : "Lockdown: off.";
    }
}
