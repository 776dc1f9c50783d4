using Tunmux.Contracts;

namespace Tunmux.Plugins.Mullvad.Api;

/// <summary>Mullvad answered with an error code (mullvad-api/src/lib.rs names them).</summary>
internal sealed class MullvadApiException(string code, int httpStatus, string message) : ProviderException(message)
{
    public string Code { get; } = code;
    public int HttpStatus { get; } = httpStatus;
}

/// <summary>Mullvad's error codes, as lines that say what to do.</summary>
internal static class MullvadErrors
{
    public const string InvalidAccount = "INVALID_ACCOUNT";
    public const string MaxDevicesReached = "MAX_DEVICES_REACHED";
    public const string DeviceNotFound = "DEVICE_NOT_FOUND";
    public const string InvalidAccessToken = "INVALID_ACCESS_TOKEN";
    public const string PubkeyInUse = "PUBKEY_IN_USE";
    public const string TooManyRequests = "TOO_MANY_REQUESTS";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    public const string AccountPage = "https://mullvad.net/account";
    public const string DevicesPage = "https://mullvad.net/account/devices";

    public static MullvadApiException FromCode(string code, int status, string? detail, string path)
    {
        var why = string.IsNullOrWhiteSpace(detail) ? "" : $" ({Common.ApiTransport.OneLine(detail)})";
        var message = code switch
        {
            InvalidAccount => $"Mullvad does not know this account number; check the 16 digits (they are on {AccountPage})",
            MaxDevicesReached => $"this Mullvad account already has its maximum number of devices; run `tunmux mullvad login --force` to replace the oldest, or remove one at {DevicesPage}",
            DeviceNotFound => "this device is no longer on the Mullvad account (removed on another device or the web site); log in again with `tunmux mullvad login`",
            InvalidAccessToken => "Mullvad refused a fresh access token for this account; log in again with `tunmux mullvad login`",
            PubkeyInUse => "Mullvad says this WireGuard key is already registered to a device; log in again with `tunmux mullvad login` to register a new key",
            TooManyRequests => "the Mullvad API is rate-limiting this client; wait a few minutes and try again",
            ServiceUnavailable => $"the Mullvad API is unavailable ({path}); try again later",
            _ => $"the Mullvad API refused {path}: {code}{why}",
        };
        return new MullvadApiException(code, status, message);
    }
}
