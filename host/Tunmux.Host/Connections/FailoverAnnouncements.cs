using Tunmux.Contracts;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// Failovers the provider has not heard of. The daemon moves an exit to another ranked server on its own and never
/// loads a plugin, so the next command of that provider tells it (AirVPN records which server a device uses).
/// Only when the provider has exits; the daemon is asked for its records (no interface inspected) and never started.
/// </summary>
internal static class FailoverAnnouncements
{
    public static async Task AnnounceAsync(IVpnProvider provider, TunmuxPaths paths, IConsoleIO console, CancellationToken ct,
        Func<CancellationToken, Task<DaemonView>>? daemon = null)
    {
        var store = new ConnectionStore(paths);
        var exits = store.List().Where(s => s.Provider == provider.Name).ToList();
        if (exits.Count == 0) return;
        var view = await (daemon ?? (c => StatusCommand.AskDaemonAsync(recordedOnly: true, c)))(ct);
        foreach (var s in exits)
        {
            var learned = await StatusCommand.LearnAsync(store, s, view.Tunnels?.GetValueOrDefault(s.Instance), ct);
            if (learned.ProviderServer is not { } told || told == learned.Server) continue;
            try
            {
                await provider.OnServerChangedAsync(
                    new ServerChange(learned.Instance, new ServerIdentity(told), new ServerIdentity(learned.Server, learned.Country)), ct);
                using (await store.LockAsync(ct)) store.Save(learned with { ProviderServer = learned.Server });
            }
            catch (ProviderException e)
            {
                // Told again at the provider's next command; this one goes on.
                console.Error.WriteLine($"warning: {provider.Name} was not told that {learned.Instance} moved to {learned.Server}: {e.Message}");
            }
        }
    }
}
