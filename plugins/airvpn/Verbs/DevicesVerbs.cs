using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary><c>devices list|add|rename|delete</c>: one WireGuard key per device.</summary>
internal sealed class DevicesVerbs(AirAccount account, IProviderContext context)
{
    private IConsoleIO Console => context.Console;

    public Task<int> RunAsync(object options, CancellationToken ct)
    {
        return options switch
        {
            DevicesList list => Web(async (site, c) =>
            {
                var devices = await site.ListDevicesAsync(c);
                if (list.Json) Console.WriteJson(devices.Select(d => new { d.Name, d.WgPublicKey, d.WgIpv4, d.WgIpv6 }));
                else if (devices.Count == 0) Console.Out.WriteLine("No devices.");
                else Console.WriteTable(["Name", "IPv4", "IPv6", "Public key"],
                    devices.Select(d => (IReadOnlyList<string>)[d.Name, Format.Dash(d.WgIpv4), Format.Dash(d.WgIpv6), Format.Dash(d.WgPublicKey)]));
            }, ct),
            DevicesAdd add => Add(add.Name is { } n ? Input.Name(n, "device name") : null, ct),
            DevicesRename r => Rename(Input.Name(r.Old, "current device name"), Input.Name(r.New, "new device name"), ct),
            DevicesDelete del => Web(async (site, c) =>
            {
                var d = Find(await site.ListDevicesAsync(c), Input.Name(del.Name, "device name"));
                await site.DeleteDeviceAsync(d, c);
                Console.Out.WriteLine($"Device '{d.Name}' deleted");
            }, ct),
            _ => throw new ProviderException("airvpn: unknown devices verb; use list, add, rename or delete"),
        };
    }

    private Task<int> Add(string? name, CancellationToken ct) => Web(async (site, c) =>
    {
        if (name is not null && (await site.ListDevicesAsync(c)).Any(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)))
            throw new ProviderException($"airvpn: a device named '{name}' exists already; pick another name");
        var device = await site.AddDeviceAsync(c);
        if (name is not null) await site.RenameDeviceAsync(device, name, c);
        Console.Out.WriteLine($"Device '{name ?? device.Name}' added ({Format.Dash(device.WgIpv4)})");
    }, ct);

    private Task<int> Rename(string old, string name, CancellationToken ct) => Web(async (site, c) =>
    {
        var d = Find(await site.ListDevicesAsync(c), old);
        await site.RenameDeviceAsync(d, name, c);
        Console.Out.WriteLine($"Device '{d.Name}' renamed to '{name}'");
    }, ct);

    private Task<int> Web(Func<AirSite, CancellationToken, Task> work, CancellationToken ct) => SiteAccess.RunAsync(account, context, work, ct);

    private static Device Find(IReadOnlyList<Device> devices, string name) =>
        devices.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ProviderException($"airvpn: no device named '{name}'; devices: {AirAccount.Names(devices.Select(d => d.Name))}");
}

/// <summary><c>api list|add|rename|delete</c>: keys of the REST API.</summary>
internal sealed class ApiKeysVerbs(AirAccount account, IProviderContext context)
{
    private IConsoleIO Console => context.Console;

    public Task<int> RunAsync(object options, CancellationToken ct)
    {
        return options switch
        {
            ApiKeysList list => Web(async (site, c) =>
            {
                var keys = await site.ListApiKeysAsync(c);
                // Listings show only the short form of each secret; 'api add' prints the whole one once.
                if (list.Json) Console.WriteJson(keys.Select(k => new { k.Name, Created = Format.Date(k.CreationDate), Secret = k.SecretShort }));
                else if (keys.Count == 0) Console.Out.WriteLine("No API keys.");
                else Console.WriteTable(["Name", "Created", "Secret"], keys.Select(k => (IReadOnlyList<string>)[k.Name, Format.Date(k.CreationDate), Format.Dash(k.SecretShort)]));
            }, ct),
            ApiKeysAdd add => Add(add.Name is { } n ? Input.Name(n, "key name") : null, ct),
            ApiKeysRename r => Rename(Input.Name(r.Old, "current key name"), Input.Name(r.New, "new key name"), ct),
            ApiKeysDelete del => Web(async (site, c) =>
            {
                var k = Find(await site.ListApiKeysAsync(c), Input.Name(del.Name, "key name"));
                await site.DeleteApiKeyAsync(k, c);
                Console.Out.WriteLine($"API key '{k.Name}' deleted");
            }, ct),
            _ => throw new ProviderException("airvpn: unknown api verb; use list, add, rename or delete"),
        };
    }

    private Task<int> Add(string? name, CancellationToken ct) => Web(async (site, c) =>
    {
        if (name is not null && (await site.ListApiKeysAsync(c)).Any(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)))
            throw new ProviderException($"airvpn: an API key named '{name}' exists already; pick another name");
        var key = await site.AddApiKeyAsync(c);
        if (name is not null) await site.RenameApiKeyAsync(key, name, c);
        context.Log.RegisterSecret(key.Secret);
        Console.Out.WriteLine($"API key '{name ?? key.Name}' created; secret: {key.Secret}");
    }, ct);

    private Task<int> Rename(string old, string name, CancellationToken ct) => Web(async (site, c) =>
    {
        var k = Find(await site.ListApiKeysAsync(c), old);
        await site.RenameApiKeyAsync(k, name, c);
        Console.Out.WriteLine($"API key '{k.Name}' renamed to '{name}'");
    }, ct);

    private Task<int> Web(Func<AirSite, CancellationToken, Task> work, CancellationToken ct) => SiteAccess.RunAsync(account, context, work, ct);

    internal static ApiKey Find(IReadOnlyList<ApiKey> keys, string name) =>
        keys.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ProviderException($"airvpn: no API key named '{name}'; keys: {AirAccount.Names(keys.Select(k => k.Name))}");
}
