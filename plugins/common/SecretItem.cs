using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tunmux.Contracts;

namespace Tunmux.Plugins.Common;

/// <summary>
/// A provider's session as one JSON item in the host's credential store (file or keyring, as the
/// user chose), never a file of the plugin's own. Its secrets are registered with the logger
/// whenever it is read or written, so no log line can show them.
/// </summary>
internal abstract class SecretItem<T>(ICredentialStore credentials, IPluginLogger log, JsonTypeInfo<T> type, string provider, string loginCommand)
    where T : class
{
    /// <summary>Item name in the credential store.</summary>
    public const string Item = "session.json";

    /// <summary>False when a stored value lacks what every command needs.</summary>
    protected abstract bool IsComplete(T value);

    /// <summary>The secrets a value holds.</summary>
    protected abstract IEnumerable<string?> Secrets(T value);

    public async Task<T?> LoadAsync(CancellationToken ct)
    {
        var text = await credentials.GetAsync(Item, ct).ConfigureAwait(false);
        if (text is null) return null;
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            throw new ProviderException($"the stored {provider} session in {credentials.Description} is damaged; log in again with `{loginCommand}`");
        }
        if (value is null || !IsComplete(value))
            throw new ProviderException($"the stored {provider} session in {credentials.Description} is incomplete; log in again with `{loginCommand}`");
        Register(value);
        return value;
    }

    public async Task<T> RequireAsync(CancellationToken ct) =>
        await LoadAsync(ct).ConfigureAwait(false)
        ?? throw new ProviderException($"not logged in to {provider}; run `{loginCommand}` first");

    /// <summary>The stored value, or null when there is none or it cannot be used (a new login replaces it).</summary>
    public async Task<T?> LoadQuietlyAsync(CancellationToken ct)
    {
        try
        {
            return await LoadAsync(ct).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            log.Debug("Ignoring the stored {Provider} session: {Error}", provider, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// The stored value for a logout, or null after telling <paramref name="output"/> why there is none: a
    /// damaged value is deleted (<paramref name="damagedNote"/> says so, and what may be left on the
    /// provider's side), a missing one means not logged in. <c>Removed</c> is whether a value was deleted.
    /// </summary>
    public async Task<(T? Value, bool Removed)> LoadForLogoutAsync(TextWriter output, string damagedNote, CancellationToken ct)
    {
        T? value;
        try
        {
            value = await LoadAsync(ct).ConfigureAwait(false);
        }
        catch (ProviderException)
        {
            await DeleteAsync(ct).ConfigureAwait(false);
            output.WriteLine(damagedNote);
            return (null, true);
        }
        if (value is null) output.WriteLine($"Not logged in to {provider}");
        return (value, false);
    }

    public Task SaveAsync(T value, CancellationToken ct)
    {
        Register(value);
        return credentials.SetAsync(Item, JsonSerializer.Serialize(value, type), ct);
    }

    public Task<bool> DeleteAsync(CancellationToken ct) => credentials.DeleteAsync(Item, ct);

    private void Register(T value)
    {
        foreach (var secret in Secrets(value))
            if (!string.IsNullOrEmpty(secret)) log.RegisterSecret(secret);
    }
}
