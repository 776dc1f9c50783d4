using Tunmux.Host.Config;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels.Rootless;

namespace Tunmux.Host.Rootless;

/// <summary>
/// The host's side of rootless exits: the mechanism (<see cref="RootlessTunnelService"/>) with its state
/// in the user's private runtime folder. The host keeps naming, ports and connection state as for every exit.
/// </summary>
internal static class RootlessExits
{
    public const string Backend = "rootless";

    /// <param name="general">The user's [general] settings.</param>
    /// <param name="firewall">Tells the daemon about exits coming up and going while tunmux's firewall blocks (connect, disconnect).</param>
    public static RootlessTunnelService Service(GeneralConfig? general = null, IRootlessFirewall? firewall = null) =>
        new(new RootlessPaths(TunmuxPaths.PrivateUserRuntimeDir()))
        {
            PreferredOutsideLink = general?.RootlessLink is "pasta" or "slirp4netns" ? general.RootlessLink : null,
            Firewall = firewall,
        };

    /// <summary>
    /// What is wrong with a rootless exit, from its record and /proc alone (for <c>status</c>, which must stay cheap
    /// and start nothing). The runtime folder is only read here, never created.
    /// </summary>
    public static IReadOnlyList<string> Problems(string instance) =>
        new RootlessTunnelService(new RootlessPaths(TunmuxPaths.UserRuntimeDir())).Problems(instance);

    /// <summary>Instances and ports of the user's rootless exits (also ones whose connection state was lost).</summary>
    public static IReadOnlyList<TunnelInfo> Recorded() =>
        Directory.Exists(TunmuxPaths.UserRuntimeDir())
            ? new RootlessTunnelService(new RootlessPaths(TunmuxPaths.UserRuntimeDir())).ListRecorded()
            : [];
}
