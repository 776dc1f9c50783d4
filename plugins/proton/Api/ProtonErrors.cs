namespace Tunmux.Plugins.Proton.Api;

/// <summary>Proton's error codes, turned into lines that say what to do.</summary>
public static class ProtonErrors
{
    public const int WrongCredentials = 8002;
    public const int HumanVerification = 9001;
    public const int AppVersionBad = 5003;
    public const int AppVersionTooOld = 5005;
    public const int Blocked = 2028;
    public const int InvalidRefreshToken = 10013;

    public static ProtonApiException FromCode(int code, int httpStatus, string? error, string path)
    {
        var detail = string.IsNullOrWhiteSpace(error) ? "" : $" ({error.Trim().TrimEnd('.')})";
        var message = code switch
        {
            HumanVerification => "Proton asks for human verification (CAPTCHA) before this login; log in once with the official Proton VPN app or website from this network, then try again",
            AppVersionBad or AppVersionTooOld => $"Proton refuses this client version{detail}; update tunmux",
            Blocked => $"Proton blocked this request for abuse protection{detail}; wait and try again later",
            InvalidRefreshToken => "the Proton session has expired or was revoked; log in again with `tunmux proton login <username>`",
            WrongCredentials => $"Proton refused the credentials{detail}",
            _ => $"the Proton API refused {path}: code {code}{detail}",
        };
        return new ProtonApiException(code, httpStatus, message);
    }
}
