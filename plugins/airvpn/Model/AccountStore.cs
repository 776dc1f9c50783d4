using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Model;

/// <summary>
/// The account (<c>session.json</c>, through the host's credential store) and the server manifest
/// cache (<c>manifest.json</c> in the cache folder; it holds no secrets).
/// </summary>
internal sealed class AccountStore(IProviderContext context)
{
    public const string SessionItem = "session.json";
    public const string ManifestFile = "manifest.json";

    public string ManifestPath => Path.Combine(context.CacheDirectory, ManifestFile);

    public async Task<AirSession?> LoadAsync(CancellationToken ct)
    {
        var text = await context.Credentials.GetAsync(SessionItem, ct);
        if (text is null) return null;
        AirSession? session;
        try
        {
            session = JsonSerializer.Deserialize<AirSession>(text, AirSession.Json);
        }
        catch (JsonException e)
        {
            throw new ProviderException($"airvpn: the stored session ({context.Credentials.Description}) is unreadable; run 'tunmux airvpn login USER' again", e);
        }
        if (session is null) return null;
        RegisterSecrets(session);
        return session;
    }

    public async Task<AirSession> RequireAsync(CancellationToken ct) =>
        await LoadAsync(ct) ?? throw new ProviderException("airvpn: not logged in; run 'tunmux airvpn login USER' first");

    public Task SaveAsync(AirSession session, CancellationToken ct)
    {
        RegisterSecrets(session);
        return context.Credentials.SetAsync(SessionItem, JsonSerializer.Serialize(session, AirSession.Json), ct);
    }

    public Task<bool> DeleteAsync(CancellationToken ct) => context.Credentials.DeleteAsync(SessionItem, ct);

    public AirManifest? LoadManifest()
    {
        try
        {
            return File.Exists(ManifestPath) ? JsonSerializer.Deserialize<AirManifest>(File.ReadAllText(ManifestPath), AirSession.Json) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            context.Log.Debug("airvpn: ignoring an unreadable manifest cache: {Error}", e.Message);
            return null;
        }
    }

    public void SaveManifest(AirManifest manifest)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(context.CacheDirectory);
        else Directory.CreateDirectory(context.CacheDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = ManifestPath + ".tmp" + Environment.ProcessId;
        File.WriteAllText(temp, JsonSerializer.Serialize(manifest, AirSession.Json));
        File.Move(temp, ManifestPath, overwrite: true);
    }

    public void DeleteManifest()
    {
        if (File.Exists(ManifestPath)) File.Delete(ManifestPath);
    }

    private void RegisterSecrets(AirSession s)
    {
        context.Log.RegisterSecret(s.Password);
        if (s.ApiKey is { Length: > 0 } k) context.Log.RegisterSecret(k);
        foreach (var key in s.Keys)
        {
            if (key.WgPrivateKey.Length > 0) context.Log.RegisterSecret(key.WgPrivateKey);
            if (key.WgPreshared.Length > 0) context.Log.RegisterSecret(key.WgPreshared);
        }
    }
}
