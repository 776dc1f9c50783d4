using Tunmux.Host.Config;
using Tunmux.Host.Privileged;

namespace Tunmux.Host.Connections;

/// <summary>Connects to the privileged daemon with the user's config.</summary>
internal static class DaemonAccess
{
    public static Task<IPrivilegedClient> ConnectAsync(GeneralConfig general, CancellationToken ct) =>
        PrivilegedClient.ConnectAsync(Options(general), ct);

    public static PrivilegedClientOptions Options(GeneralConfig general) => new()
    {
        Transport = general.PrivilegedTransport,
        Autostart = general.PrivilegedAutostart,
        AutostartTimeoutMs = general.PrivilegedAutostartTimeoutMs,
        AuthorizedGroup = general.PrivilegedAuthorizedGroup,
        AutostopMode = general.PrivilegedAutostopMode,
        AutostopTimeoutMs = general.PrivilegedAutostopTimeoutMs,
    };
}
