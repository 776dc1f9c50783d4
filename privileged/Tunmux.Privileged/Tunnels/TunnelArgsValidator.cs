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
        foreach (var alternative in args.Alternatives)
            if (alternative.Profile.Peers.Count != 1)
                throw new PrivilegedException(ErrorCodes.InvalidArgument,
                    $"alternatives: exactly one peer is supported, {alternative.Server.Name} has {alternative.Profile.Peers.Count}");
    }

    /// <summary>
    /// The alternatives a failover can use. Direct mode keeps the DNS set up for the first server (the host's
    /// resolver configuration is not rewritten mid-way), so an alternative with other DNS servers is left out,
    /// with a warning saying so.
    /// </summary>
    public static TunnelUpArgs UsableAlternatives(TunnelUpArgs args, List<string> warnings)
    {
        if (args.Mode != "direct" || args.Alternatives.Count == 0) return args;
        var usable = new List<AlternativeDto>();
        foreach (var alternative in args.Alternatives)
        {
            if (alternative.Profile.Dns.SequenceEqual(args.Profile.Dns)) usable.Add(alternative);
            else warnings.Add($"failover: {alternative.Server.Name} left out: its DNS servers differ and direct mode keeps the first server's");
        }
        return args with { Alternatives = usable };
    }

    public static bool IsIPv6(string cidr) => cidr.Contains(':');
}
