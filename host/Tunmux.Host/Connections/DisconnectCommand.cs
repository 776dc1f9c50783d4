using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Rootless;
using Tunmux.Host.State;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>disconnect</c> for every provider: one instance, all of them, or — without arguments and
/// with several active — the list to choose from, in the original tool's format. It also removes a kill
/// switch that a direct connect left behind when it failed or was interrupted (nothing else does).
/// </summary>
internal sealed class DisconnectCommand(TunmuxPaths paths, IConsoleIO console, Func<GeneralConfig> general)
{
    public async Task<int> RunAsync(string? instance, string? provider, bool all, string commandPath, CancellationToken ct)
    {
        var store = new ConnectionStore(paths);
        using var gate = await store.LockAsync(ct);
        var everything = store.List();
        var candidates = everything.Where(s => provider is null || s.Provider == provider).ToList();
        var firewall = FirewallView.Read(PrivilegedPaths.FromEnvironment());
        var heldKillSwitch = provider is null && (instance is null or InstanceNames.Direct)
            && FirewallView.HeldWithoutConnection(firewall, everything.Any(s => s.Instance == InstanceNames.Direct));
        if (heldKillSwitch && (all || instance is not null || candidates.Count == 0))
        {
            await using (var daemon = await DaemonAccess.ConnectAsync(general(), ct))
                await daemon.TunnelDownAsync(InstanceNames.Direct, ct);
            console.Out.WriteLine("Removed the kill switch a direct connect left when it did not finish; " +
                                  (firewall!.Lockdown ? "lockdown is still on ('tunmux lockdown off' ends it)." : "traffic flows normally again."));
            if (instance is not null || candidates.Count == 0) return 0;
        }

        List<ConnectionState> targets;
        if (instance is not null)
        {
            if (all) throw new UsageException("give an instance or --all, not both", $"usage: {commandPath} [instance] [--all]");
            var match = candidates.FirstOrDefault(s => s.Instance == instance);
            if (match is null)
            {
                var known = candidates.Count == 0 ? "there are none" : "active: " + string.Join(", ", candidates.Select(c => c.Instance));
                throw new InvalidOperationException($"no connection named '{instance}'{(provider is null ? "" : $" for {provider}")}; {known}");
            }
            targets = [match];
        }
        else if (all || candidates.Count == 1)
        {
            targets = candidates;
        }
        else if (candidates.Count == 0)
        {
            console.Out.WriteLine(provider is null ? "No active connections." : $"No active {provider} connections.");
            return 0;
        }
        else
        {
            console.Out.WriteLine("Multiple active connections. Specify which to disconnect:");
            console.Out.WriteLine();
            var w1 = candidates.Max(c => c.Instance.Length);
            var w2 = candidates.Max(c => c.Server.Length);
            foreach (var c in candidates)
                console.Out.WriteLine($"  {c.Instance.PadRight(w1)}  {c.Server.PadRight(w2)}  {(c.IsProxy ? StatusCommand.ProxyText(c) : "direct")}".TrimEnd());
            console.Out.WriteLine();
            console.Out.WriteLine($"Usage: {commandPath} <instance>");
            console.Out.WriteLine($"       {commandPath} --all");
            return 1;
        }

        if (targets.Count == 0)
        {
            console.Out.WriteLine("No active connections.");
            return 0;
        }

        // Rootless exits are the user's own processes: taken down here, without the daemon.
        foreach (var t in targets.Where(t => t.Backend == RootlessExits.Backend))
        {
            await RootlessExits.Service(general(), new RootlessFirewall(general(), console.Error.WriteLine)).DownAsync(t.Instance, ct);
            store.Delete(t.Instance);
            console.Out.WriteLine($"Disconnected {t.Instance} ({t.Provider} {t.Server})");
        }
        targets = targets.Where(t => t.Backend != RootlessExits.Backend).ToList();
        if (targets.Count == 0) return 0;

        await using var client = await DaemonAccess.ConnectAsync(general(), ct);
        foreach (var t in targets)
        {
            await client.TunnelDownAsync(t.Instance, ct);
            store.Delete(t.Instance);
            var killSwitch = firewall is { KillSwitch: true } && firewall.KillSwitchInstance == t.Instance ? "; kill switch removed" : "";
            console.Out.WriteLine($"Disconnected {t.Instance} ({t.Provider} {t.Server}){killSwitch}");
        }
        if (firewall is { Lockdown: true } && targets.Any(t => !t.IsProxy))
            console.Out.WriteLine("Lockdown is still on: nothing leaves outside a tunnel until 'tunmux lockdown off'.");
        return 0;
    }
}
