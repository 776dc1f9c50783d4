using System.Text.Json;
using Tunmux.Contracts;
using Tunmux.Plugins.WgConf.Config;

namespace Tunmux.Plugins.WgConf.Profiles;

/// <summary>One saved profile as listed; no secrets.</summary>
/// <param name="Name">The profile's name (what <c>connect --profile</c> takes).</param>
/// <param name="Endpoint">The first peer's endpoint.</param>
/// <param name="Addresses">The interface addresses.</param>
/// <param name="SavedAt">When it was saved.</param>
public sealed record ProfileEntry(string Name, string Endpoint, IReadOnlyList<string> Addresses, DateTimeOffset SavedAt);

/// <summary>
/// Saved profiles in the credential store, since they hold private keys: each profile is the item
/// <c>profile-&lt;name&gt;.conf</c> (a normalized WireGuard config), and the item <c>profiles.json</c>
/// indexes them (the store cannot list its items). The profile is written before the index and
/// removed after it, so the index never names a profile that is not there.
/// </summary>
public sealed class ProfileStore
{
    public const string IndexItem = "profiles.json";
    public const int MaxNameLength = 32;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private readonly ICredentialStore _store;

    public ProfileStore(ICredentialStore store) => _store = store;

    public static string ItemOf(string name) => $"profile-{name}.conf";

    /// <summary>Lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 32 characters.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxNameLength && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    public static void ValidateName(string? name)
    {
        if (!IsValidName(name))
            throw new ProviderException($"wgconf: profile name '{name}' is invalid; use lowercase letters, digits, '-' and '_' (at most {MaxNameLength}, starting with a letter or digit)");
    }

    public async Task<IReadOnlyList<ProfileEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var json = await _store.GetAsync(IndexItem, cancellationToken);
        if (json is null) return [];
        try
        {
            var index = JsonSerializer.Deserialize<Index>(json, Json);
            return index?.Profiles ?? [];
        }
        catch (JsonException e)
        {
            throw new ProviderException($"wgconf: the profile index ({IndexItem} in {_store.Description}) is damaged; delete it and save the profiles again", e);
        }
    }

    public async Task<ProfileEntry?> FindAsync(string name, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(p => p.Name == name);

    /// <summary>Saves a new profile; an existing name is refused (remove it first).</summary>
    public async Task<ProfileEntry> SaveAsync(string name, WireGuardProfile profile, CancellationToken cancellationToken)
    {
        ValidateName(name);
        var profiles = (await ListAsync(cancellationToken)).ToList();
        if (profiles.Any(p => p.Name == name))
            throw new ProviderException($"wgconf: a profile named '{name}' exists; remove it first with 'tunmux wgconf remove {name}' or choose another name");
        await _store.SetAsync(ItemOf(name), WireGuardConfigWriter.Write(profile), cancellationToken);
        var entry = new ProfileEntry(name, profile.Peers[0].Endpoint, profile.Addresses, DateTimeOffset.UtcNow);
        profiles.Add(entry);
        await WriteIndexAsync(profiles, cancellationToken);
        return entry;
    }

    /// <summary>The saved profile, parsed again (so a damaged item is reported, not used).</summary>
    public async Task<WireGuardProfile> LoadAsync(string name, CancellationToken cancellationToken)
    {
        ValidateName(name);
        var text = await _store.GetAsync(ItemOf(name), cancellationToken)
            ?? throw new ProviderException($"wgconf: no saved profile named '{name}'; see 'tunmux wgconf list', or save one with 'tunmux wgconf save --file F --name {name}'");
        return WireGuardConfigParser.Parse(text, $"profile {name}").Profile;
    }

    /// <summary>Removes a profile; false when there was none.</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        ValidateName(name);
        var profiles = (await ListAsync(cancellationToken)).ToList();
        var removedFromIndex = profiles.RemoveAll(p => p.Name == name) > 0;
        if (removedFromIndex) await WriteIndexAsync(profiles, cancellationToken);
        var removedItem = await _store.DeleteAsync(ItemOf(name), cancellationToken);
        return removedFromIndex || removedItem;
    }

    private Task WriteIndexAsync(List<ProfileEntry> profiles, CancellationToken cancellationToken) =>
        _store.SetAsync(IndexItem, JsonSerializer.Serialize(new Index(1, profiles.OrderBy(p => p.Name, StringComparer.Ordinal).ToList()), Json), cancellationToken);

    private sealed record Index(int Version, List<ProfileEntry> Profiles);
}
