using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux wg [instance]</c>: the WireGuard view of one connection or of all this user's, exactly as
/// <c>wg show &lt;interface&gt;</c> prints it (peer, endpoint, allowed IPs, latest handshake, transfer; keys hidden).
/// The daemon runs <c>wg</c> in the exit's namespace, where a user cannot look.
/// </summary>
internal sealed class WgCommand(TunmuxPaths paths, IConsoleIO console, Func<GeneralConfig> general)
{
    public async Task<int> RunAsync(string? instance, CancellationToken ct)
    {
        var connections = new ConnectionStore(paths).List();
        IReadOnlyList<string> instances = instance is not null ? [instance] : connections.Select(s => s.Instance).ToList();
        if (instances.Count == 0)
        {
            console.Out.WriteLine("No active connections.");
            return 0;
        }
        if (instance is not null && connections.All(s => s.Instance != instance))
            throw new InvalidOperationException($"no connection named {instance}; see 'tunmux status'");

        await using var daemon = await DaemonAccess.ConnectAsync(general(), ct);
        for (var i = 0; i < instances.Count; i++)
        {
            var shown = await daemon.TunnelWgAsync(instances[i], ct);
            if (i > 0) console.Out.WriteLine();
            console.Out.Write(shown.Text.EndsWith('\n') ? shown.Text : shown.Text + "\n");
        }
        return 0;
    }
}
