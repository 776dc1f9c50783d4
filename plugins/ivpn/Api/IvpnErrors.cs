using Tunmux.Contracts;
using Tunmux.Plugins.Common;

namespace Tunmux.Plugins.Ivpn.Api;

/// <summary>IVPN answered with a status other than 200 (daemon/api/types/errors.go names them).</summary>
internal sealed class IvpnApiException(int status, string message, ServiceStatus? limit = null) : ProviderException(message)
{
    public int Status { get; } = status;

    /// <summary>With <see cref="IvpnErrors.SessionLimit"/>: the account's state, <c>limit</c> included.</summary>
    public ServiceStatus? Limit { get; } = limit;
}

/// <summary>IVPN's status codes, as lines that say what to do.</summary>
internal static class IvpnErrors
{
    public const int Success = 200;
    public const int Unauthorized = 401;
    public const int WireGuardKeyNotFound = 424;
    public const int SessionNotFound = 601;
    public const int SessionLimit = 602;
    public const int AccountNotActive = 702;
    public const int CaptchaRequired = 70001;
    public const int CaptchaInvalid = 70002;
    public const int SecondFactorRequired = 70011;
    public const int SecondFactorInvalid = 70012;

    public const string AccountPage = "https://www.ivpn.net/account";

    public static IvpnApiException FromStatus(int status, string? message, string path, ServiceStatus? limit = null)
    {
        var why = string.IsNullOrWhiteSpace(message) ? "" : $" ({ApiTransport.OneLine(message)})";
        var text = status switch
        {
            Unauthorized => $"IVPN does not know this account ID{why}; check it (i-XXXX-XXXX-XXXX, on {AccountPage})",
            SessionNotFound => "the IVPN session has ended (logged out on another device or with --force elsewhere); log in again with `tunmux ivpn login`",
            SessionLimit => $"this IVPN account already has its maximum of {(limit?.Limit is > 0 and var n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "allowed")} sessions; " +
                "run `tunmux ivpn login --force` to log out all its other devices, or log out on one of them",
            AccountNotActive => $"the IVPN account is not active{why}; add time at {AccountPage}",
            SecondFactorRequired => "this IVPN account has two-factor authentication; pass --totp CODE or --totp-secret-file FILE, or log in from a terminal",
            SecondFactorInvalid => "IVPN refused the two-factor code; check the device's clock and try again with a fresh code",
            CaptchaRequired or CaptchaInvalid => "IVPN asks for a CAPTCHA before this login (too many attempts); log in once with IVPN's app or wait an hour, then try again",
            WireGuardKeyNotFound => "IVPN does not know this session's WireGuard key; log in again with `tunmux ivpn login`",
            _ => $"the IVPN API refused {path}: status {status}{why}",
        };
        return new IvpnApiException(status, text, limit);
    }
}
