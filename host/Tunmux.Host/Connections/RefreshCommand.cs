using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>tunmux &lt;provider&gt; refresh</c>: the provider renews what its exits need beyond one command
/// (Proton's device certificate) when due, or now with <c>--force</c>. The daemon never loads plugins,
/// so this runs in the host: on demand, from a daily systemd user timer, and before any command of the
/// provider when a connection record says it is due. The records learn when the next renewal is due,
/// which is all <c>status</c> needs to say "renewal due" without loading the plugin.
/// </summary>
internal sealed class RefreshCommand(IVpnProvider provider, TunmuxPaths paths, IConsoleIO console)
{
    public async Task<int> RunAsync(bool force, CancellationToken ct)
    {
        var result = await RefreshAsync(force, ct);
        console.Out.WriteLine(result.Summary
            ?? (result.RenewAfter is { } next
                ? $"Nothing due for {provider.Name}; next renewal after {Format(next)}"
                : $"Nothing to renew for {provider.Name}"));
        return 0;
    }

    private async Task<RefreshResult> RefreshAsync(bool force, CancellationToken ct)
    {
        var store = new ConnectionStore(paths);
        var instances = store.List().Where(s => s.Provider == provider.Name)
            .Select(s => KeyValuePair.Create(s.Instance, new ServerIdentity(s.Server, s.Country))).ToList();
        var result = await provider.RefreshAsync(new RefreshRequest { Instances = instances, Force = force }, ct);
        using (await store.LockAsync(ct)) Record(store, provider.Name, result.RenewAfter);
        return result;
    }

    /// <summary>Notes on every record of <paramref name="providerName"/> when its next renewal is due.</summary>
    public static void Record(ConnectionStore store, string providerName, DateTimeOffset? renewAfter)
    {
        foreach (var s in store.List().Where(s => s.Provider == providerName && s.RenewAfter != renewAfter))
            store.Save(s with { RenewAfter = renewAfter });
    }

    /// <summary>True when a record of the provider says its renewal is due.</summary>
    public static bool IsDue(ConnectionState state, DateTimeOffset now) => state.RenewAfter is { } at && now >= at;

    /// <summary>
    /// Before a command of the provider: renews when a record says it is due. A failure is a warning on
    /// standard error; the command goes on (an exit keeps working until the credential expires).
    /// </summary>
    public static async Task RenewIfDueAsync(IVpnProvider provider, TunmuxPaths paths, IConsoleIO console, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (!new ConnectionStore(paths).List().Any(s => s.Provider == provider.Name && IsDue(s, now))) return;
        try
        {
            var result = await new RefreshCommand(provider, paths, console).RefreshAsync(force: false, ct);
            if (result.Summary is { } summary) console.Error.WriteLine(summary);
        }
        catch (ProviderException e)
        {
            console.Error.WriteLine($"warning: the renewal of {provider.Name}'s exits is due but failed: {e.Message}");
        }
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
