using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.State;

namespace Tunmux.Host.Connections;

/// <summary>
/// <c>logout</c> for every provider. Logging out takes away what the provider's exits live on
/// (Proton revokes the device certificate the tunnel key needs; nothing could renew or announce them
/// afterwards), so while exits of the provider are up it refuses and names them; <c>--force</c>
/// takes them down first.
/// </summary>
internal sealed class LogoutCommand(TunmuxPaths paths, IConsoleIO console, Func<GeneralConfig> general)
{
    public async Task<int> RunAsync(IVpnProvider provider, bool force, CancellationToken ct)
    {
        var up = new ConnectionStore(paths).List().Where(s => s.Provider == provider.Name).ToList();
        if (up.Count > 0 && !force)
        {
            var names = string.Join(", ", up.Select(s => $"{s.Instance} ({s.Server})"));
            throw new InvalidOperationException(
                $"{provider.Name} exits are up: {names}; logging out would leave them without credentials; " +
                $"take them down with `tunmux {provider.Name} disconnect --all`, or log out with --force, which does it first");
        }
        if (up.Count > 0)
            await new DisconnectCommand(paths, console, general).RunAsync(null, provider.Name, all: true, $"tunmux {provider.Name} disconnect", ct);
        await provider.LogoutAsync(ct);
        return 0;
    }
}
