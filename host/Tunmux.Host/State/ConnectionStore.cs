using System.Text.Json;
using Tunmux.Host.Storage;
using Tunmux.Privileged.Naming;

namespace Tunmux.Host.State;

/// <summary>The one store of connection state: one JSON file per instance under <c>connections/</c>.</summary>
public sealed class ConnectionStore(TunmuxPaths paths)
{

    public IReadOnlyList<ConnectionState> List()
    {
        var dir = paths.ConnectionsDir;
        if (!Directory.Exists(dir)) return [];
        var list = new List<ConnectionState>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
        {
            var instance = Path.GetFileNameWithoutExtension(file);
            if (!InstanceNames.IsValidInstance(instance)) continue;
            if (Read(file) is { } state) list.Add(state);
        }
        return list.OrderBy(s => s.Instance == InstanceNames.Direct ? "" : s.Instance, StringComparer.Ordinal).ToList();
    }

    public ConnectionState? Get(string instance) =>
        InstanceNames.IsValidInstance(instance) ? Read(paths.ConnectionFile(instance)) : null;

    public void Save(ConnectionState state)
    {
        if (!InstanceNames.IsValidInstance(state.Instance)) throw new ArgumentException($"invalid instance name '{state.Instance}'");
        AtomicFile.Write(paths.ConnectionFile(state.Instance), JsonSerializer.SerializeToUtf8Bytes(state, StateJson.Default.ConnectionState));
    }

    public void Delete(string instance)
    {
        if (InstanceNames.IsValidInstance(instance)) File.Delete(paths.ConnectionFile(instance));
    }

    /// <summary>
    /// Serializes connects and disconnects of this user (instance names and ports are chosen
    /// under it), so two commands at once never pick the same instance or ports.
    /// </summary>
    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        AtomicFile.EnsurePrivateDirectory(paths.ConnectionsDir);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(paths.ConnectionsLock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None,
                    1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private static ConnectionState? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(file), StateJson.Default.ConnectionState);
        }
        catch (FileNotFoundException) { return null; }
        catch (JsonException) { return null; }
    }
}

/// <summary>Source-generated serialization: <c>status</c> runs on every prompt of some users, so no reflection at start-up.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ConnectionState))]
internal sealed partial class StateJson : System.Text.Json.Serialization.JsonSerializerContext;
