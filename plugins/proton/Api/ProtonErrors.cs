using System.Text.Json;

namespace Tunmux.Plugins.Proton.Api;

/// <summary>Proton's error codes (go-proton-api response.go), turned into lines that say what to do.</summary>
public static class ProtonErrors
{
    public const int WrongCredentials = 8002;
    public const int HumanVerification = 9001;
    public const int AppVersionBad = 5003;
    public const int AppVersionTooOld = 5005;
    public const int Blocked = 2028;
    public const int InvalidRefreshToken = 10013;

    public static ProtonApiException FromCode(int code, int httpStatus, string? error, string path, JsonElement details = default)
    {
        var detail = string.IsNullOrWhiteSpace(error) ? "" : $" ({error.Trim().TrimEnd('.')})";
        if (code == HumanVerification && HumanVerificationDetails(details) is { } hv)
            return new HumanVerificationRequiredException(httpStatus,
                "Proton asks for human verification (CAPTCHA) before this login", hv.Methods, hv.Token);
        var message = code switch
        {
            HumanVerification => "Proton asks for human verification before this login but sent no token to solve; try again later",
            AppVersionBad or AppVersionTooOld => $"Proton refuses this client version{detail}; update tunmux",
            Blocked => $"Proton blocked this request for abuse protection{detail}; wait and try again later",
            InvalidRefreshToken => "the Proton session has expired or was revoked; log in again with `tunmux proton login <username>`",
            WrongCredentials => $"Proton refused the credentials{detail}",
            _ => $"the Proton API refused {path}: code {code}{detail}",
        };
        return new ProtonApiException(code, httpStatus, message);
    }

    /// <summary>
    /// <c>Details.HumanVerificationMethods</c> and <c>Details.HumanVerificationToken</c> of a 9001
    /// answer (go-proton-api hv.go <c>APIHVDetails</c>), or null when absent or malformed.
    /// </summary>
    private static (IReadOnlyList<string> Methods, string Token)? HumanVerificationDetails(JsonElement details)
    {
        if (details.ValueKind != JsonValueKind.Object) return null;
        if (!details.TryGetProperty("HumanVerificationToken", out var token) || token.ValueKind != JsonValueKind.String) return null;
        var value = token.GetString();
        if (string.IsNullOrEmpty(value) || value.Length > 512 || value.Any(char.IsControl)) return null;
        var methods = new List<string>();
        if (details.TryGetProperty("HumanVerificationMethods", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var m in list.EnumerateArray())
                if (m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 and <= 32 } name && name.All(char.IsAsciiLetterOrDigit))
                    methods.Add(name);
        if (methods.Count == 0) methods.Add("captcha");
        return (methods, value);
    }
}
