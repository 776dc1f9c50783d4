using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// The daemon's field validation of an intent (<see cref="RequestValidator"/>), run again by the tunnel
/// service so it is safe however it is called, plus what this implementation itself supports.
/// </summary>
internal static class TunnelArgsValidator
{
    public const int DefaultMtu = 1420;

    public static void Validate(TunnelUpArgs args)
    {
        RequestValidator.ValidateFields(args);
        // Provider tunnels have one server; several peers would need per-peer routing this service does not do.
        if (args.Profile.Peers.Count != 1)
            throw new PrivilegedException(ErrorCodes.InvalidArgument,
                $"profile.peers: exactly one peer is supported, the profile has {args.Profile.Peers.Count}");
    }

    public static bool IsIPv6(string cidr) => cidr.Contains(':');
}
