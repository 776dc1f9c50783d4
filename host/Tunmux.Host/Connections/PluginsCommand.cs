using Tunmux.Contracts;
using Tunmux.Host.Logging;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Connections;

/// <summary><c>tunmux plugins</c>: loads every plugin to report its version and state.</summary>
public sealed class PluginsCommand(PluginCatalog catalog, IConsoleIO console)
{
    public int Run(bool json)
    {
        var rows = new List<PluginRow>();
        foreach (var candidate in catalog.Discover())
        {
            try
            {
                var plugin = PluginHost.Load(candidate);
                rows.Add(new PluginRow(candidate.Name, plugin.Version, candidate.AssemblyPath, "ok", null));
            }
            catch (PluginLoadException e)
            {
                LogSetup.Logger.Warning("{Message}", e.Message);
                rows.Add(new PluginRow(candidate.Name, null, candidate.AssemblyPath, e.State, e.Message));
            }
        }

        if (json)
        {
            console.WriteJson(new { plugins = rows });
            return 0;
        }
        if (rows.Count == 0)
        {
            console.Out.WriteLine("No plugins found in: " + string.Join(", ", catalog.PluginDirs));
            return 0;
        }
        console.WriteTable(["NAME", "VERSION", "STATE", "PATH"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Version ?? "-", r.State, r.Path]));
        return 0;
    }

    private sealed record PluginRow(string Name, string? Version, string Path, string State, string? Error);
}
