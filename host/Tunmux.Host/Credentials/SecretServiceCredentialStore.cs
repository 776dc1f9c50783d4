using Tmds.DBus.Protocol;
using Tunmux.Contracts;

namespace Tunmux.Host.Credentials;

/// <summary>
/// Items in the freedesktop Secret Service (gnome-keyring, KWallet, KeePassXC) on the D-Bus session,
/// in the default collection, labelled <c>tunmux &lt;provider&gt; &lt;item&gt;</c> with the attributes
/// <c>service=tunmux</c>, <c>provider</c> and <c>item</c>, so <c>secret-tool search service tunmux</c>
/// finds them. A locked, absent or silent keyring is an error; nothing falls back to a file.
/// </summary>
public sealed class SecretServiceCredentialStore : ICredentialStore
{
    /// <summary>The <c>service</c> attribute of every item.</summary>
    public const string ServiceAttribute = "tunmux";

    private readonly string _provider;
    private readonly string? _address;
    private readonly TimeSpan _timeout;

    public SecretServiceCredentialStore(string provider) : this(provider, busAddress: null, TimeSpan.FromSeconds(10)) { }

    /// <param name="provider">The provider the items belong to.</param>
    /// <param name="busAddress">A D-Bus address; null means the session bus of the environment.</param>
    /// <param name="timeout">Bound of each step (connect, each call).</param>
    internal SecretServiceCredentialStore(string provider, string? busAddress, TimeSpan timeout)
    {
        ItemNames.ValidateProvider(provider);
        _provider = provider;
        _address = busAddress;
        _timeout = timeout;
    }

    public string Description => "keyring (Secret Service, default collection)";

    /// <summary>The label an item gets, as keyring browsers show it.</summary>
    public string LabelOf(string item) => $"tunmux {_provider} {item}";

    public async Task<string?> GetAsync(string item, CancellationToken cancellationToken)
    {
        ItemNames.Validate(item);
        return await WithClientAsync(async client =>
        {
            var (unlocked, locked) = await client.SearchAsync(AttributesOf(item));
            if (unlocked.Length > 0) return await client.GetSecretAsync(unlocked[0]);
            if (locked.Length > 0) throw SecretServiceErrors.Locked();
            return null;
        }, cancellationToken);
    }

    public async Task SetAsync(string item, string value, CancellationToken cancellationToken)
    {
        ItemNames.Validate(item);
        await WithClientAsync(async client =>
        {
            var collection = await client.DefaultCollectionAsync();
            await client.CreateItemAsync(collection, LabelOf(item), AttributesOf(item), value);
            return true;
        }, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string item, CancellationToken cancellationToken)
    {
        ItemNames.Validate(item);
        return await WithClientAsync(async client =>
        {
            var (unlocked, locked) = await client.SearchAsync(AttributesOf(item));
            if (locked.Length > 0) throw SecretServiceErrors.Locked();
            foreach (var path in unlocked) await client.DeleteItemAsync(path);
            return unlocked.Length > 0;
        }, cancellationToken);
    }

    private Dictionary<string, string> AttributesOf(string item) => new()
    {
        ["service"] = ServiceAttribute,
        ["provider"] = _provider,
        ["item"] = item,
    };

    /// <summary>One connection and transfer session per operation: credentials are read a few times per command at most.</summary>
    private async Task<T> WithClientAsync<T>(Func<SecretServiceClient, Task<T>> action, CancellationToken cancellationToken)
    {
        var address = _address ?? SessionBusAddress() ?? throw SecretServiceErrors.NoSession();
        try
        {
            await using var client = await SecretServiceClient.OpenAsync(address, _timeout, cancellationToken);
            return await action(client);
        }
        catch (DBusErrorReplyException e)
        {
            throw new CredentialStoreException($"keyring: the Secret Service refused the request ({e.ErrorName}: {e.ErrorMessage}); {SecretServiceErrors.Fix}", e);
        }
    }

    /// <summary>DBUS_SESSION_BUS_ADDRESS, else the systemd user bus socket when it exists.</summary>
    private static string? SessionBusAddress()
    {
        if (Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS") is { Length: > 0 } address) return address;
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && File.Exists(Path.Combine(runtime, "bus")))
            return "unix:path=" + Path.Combine(runtime, "bus");
        return null;
    }
}
