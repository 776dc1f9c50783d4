using System.Globalization;
using Tunmux.Contracts;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Api;

namespace Tunmux.Plugins.Mullvad.Account;

/// <summary>What a login did.</summary>
internal sealed record LoginOutcome(MullvadSession Session, bool AlreadyLoggedIn, DeviceAnswer? Replaced, int DeviceCount);

/// <summary>
/// Logs in the way Mullvad's daemon does: the account number buys an access token, a WireGuard
/// key made here is registered as a new device (<c>POST accounts/v1/devices</c>), and the device's
/// id, name and tunnel addresses are kept with the key. At the device limit
/// (<c>MAX_DEVICES_REACHED</c>) it stops with the devices named, unless told to make room
/// (<c>--force</c>: the oldest device, or the one named by <c>--replace</c>).
/// </summary>
internal sealed class DeviceLogin(MullvadApi api, SessionStore sessions, IPluginLogger log, TimeProvider time)
{
    public async Task<LoginOutcome> RunAsync(string accountNumber, bool force, string? replace, CancellationToken ct)
    {
        var previous = await sessions.LoadQuietlyAsync(ct).ConfigureAwait(false);
        api.AccountNumber = accountNumber;
        api.Token = previous?.AccountNumber == accountNumber ? previous.Token : null;
        var account = await api.GetAccountAsync(ct).ConfigureAwait(false);

        if (previous is not null)
        {
            if (previous.AccountNumber == accountNumber && await DeviceStillThereAsync(previous, ct).ConfigureAwait(false))
            {
                previous.ApplyAccount(account, time.GetUtcNow());
                previous.Token = api.Token;
                await sessions.SaveAsync(previous, ct).ConfigureAwait(false);
                return new LoginOutcome(previous, AlreadyLoggedIn: true, null, 0);
            }
            if (previous.AccountNumber != accountNumber) await RemovePreviousDeviceAsync(previous, ct).ConfigureAwait(false);
            api.AccountNumber = accountNumber;
        }

        var keys = WireGuardKeys.Generate();
        log.RegisterSecret(keys.PrivateKeyBase64);
        DeviceAnswer? replaced = null;
        DeviceAnswer device;
        try
        {
            device = await api.CreateDeviceAsync(keys.PublicKeyBase64, ct).ConfigureAwait(false);
        }
        catch (MullvadApiException ex) when (ex.Code == MullvadErrors.MaxDevicesReached)
        {
            var devices = await api.ListDevicesAsync(ct).ConfigureAwait(false);
            if (!force && replace is null) throw new ProviderException(LimitMessage(devices, account.MaxDevices));
            replaced = PickVictim(devices, replace);
            await api.RemoveDeviceAsync(replaced.Id, ct).ConfigureAwait(false);
            log.Information("Removed the Mullvad device {Device} to make room", replaced.Name);
            device = await api.CreateDeviceAsync(keys.PublicKeyBase64, ct).ConfigureAwait(false);
        }

        if (string.IsNullOrWhiteSpace(device.Id) || string.IsNullOrWhiteSpace(device.Ipv4Address))
            throw new ProviderException("the Mullvad API registered the device but sent no id or tunnel address; try again later");
        if (replace is not null && replaced is null)
            log.Information("The Mullvad account had room for this device; {Device} was not removed", replace);

        var now = time.GetUtcNow();
        var session = new MullvadSession
        {
            AccountNumber = accountNumber,
            DeviceId = device.Id,
            DeviceName = device.Name,
            DeviceCreated = device.Created,
            DeviceCheckedAt = now,
            KeyCreated = now,
            PrivateKey = keys.PrivateKeyBase64,
            PublicKey = keys.PublicKeyBase64,
            Ipv4Address = device.Ipv4Address!,
            Ipv6Address = string.IsNullOrWhiteSpace(device.Ipv6Address) ? null : device.Ipv6Address,
            Token = api.Token,
        };
        session.ApplyAccount(account, now);
        await sessions.SaveAsync(session, ct).ConfigureAwait(false);
        var count = await CountDevicesAsync(ct).ConfigureAwait(false);
        return new LoginOutcome(session, AlreadyLoggedIn: false, replaced, count);
    }


    private async Task<bool> DeviceStillThereAsync(MullvadSession session, CancellationToken ct)
    {
        try
        {
            await api.GetDeviceAsync(session.DeviceId, ct).ConfigureAwait(false);
            return true;
        }
        catch (MullvadApiException ex) when (ex.Code == MullvadErrors.DeviceNotFound)
        {
            log.Information("The Mullvad device {Device} was removed from the account; registering a new one", session.DeviceName);
            return false;
        }
    }

    /// <summary>Logging in to another account first removes this machine's device from the old one, as Mullvad's daemon does.</summary>
    private async Task RemovePreviousDeviceAsync(MullvadSession previous, CancellationToken ct)
    {
        api.AccountNumber = previous.AccountNumber;
        api.Token = previous.Token;
        try
        {
            await api.RemoveDeviceAsync(previous.DeviceId, ct).ConfigureAwait(false);
            log.Information("Removed the device {Device} from the previous Mullvad account", previous.DeviceName);
        }
        catch (ProviderException ex)
        {
            log.Warning("Could not remove the device {Device} from the previous Mullvad account ({Error}); remove it at {Page}",
                previous.DeviceName, ex.Message, MullvadErrors.DevicesPage);
        }
        api.Token = null;
    }

    private async Task<int> CountDevicesAsync(CancellationToken ct)
    {
        try
        {
            return (await api.ListDevicesAsync(ct).ConfigureAwait(false)).Count;
        }
        catch (ProviderException ex)
        {
            log.Debug("Could not count the Mullvad devices: {Error}", ex.Message);
            return 0;
        }
    }

    private static DeviceAnswer PickVictim(List<DeviceAnswer> devices, string? replace)
    {
        if (devices.Count == 0)
            throw new ProviderException($"Mullvad says the account is at its device limit but lists no device; remove one at {MullvadErrors.DevicesPage}");
        if (replace is null) return devices.OrderBy(d => d.Created).First();
        return devices.FirstOrDefault(d => d.Name.Equals(replace.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ProviderException($"no device named '{replace}' on this Mullvad account; its devices: {Names(devices)}");
    }

    private static string LimitMessage(List<DeviceAnswer> devices, int? max)
    {
        var oldest = devices.OrderBy(d => d.Created).FirstOrDefault();
        var limit = max is { } m ? m.ToString(CultureInfo.InvariantCulture) : devices.Count.ToString(CultureInfo.InvariantCulture);
        return $"this Mullvad account already has its maximum of {limit} devices ({Names(devices)}); " +
            $"run `tunmux mullvad login --force` to replace the oldest{(oldest is null ? "" : $" ({oldest.Name})")} or `--replace NAME`, " +
            $"or remove one at {MullvadErrors.DevicesPage}";
    }

    private static string Names(IEnumerable<DeviceAnswer> devices) =>
        string.Join(", ", devices.OrderBy(d => d.Created).Select(d => d.Name));
}
