using System.Net;

namespace Tunmux.Privileged.Firewall;

/// <summary>
/// What tunmux's own nftables table lets through. Everything not named here is dropped, in both
/// families and in every direction (output, input, forward). The mechanism (<see cref="NftTable"/>)
/// renders exactly this and knows nothing of tunnels, lockdown or records: the policy is decided
/// elsewhere, the way a VPN daemon keeps its firewall apart from its state machine.
/// </summary>
internal sealed record FirewallPolicy
{
    /// <summary>The encrypted traffic of every tunmux exit (its WireGuard socket to its server).</summary>
    public IReadOnlyList<ExitSocket> Exits { get; init; } = [];

    /// <summary>The direct-mode tunnel, while one is up or being brought up; null under lockdown with no direct connection.</summary>
    public TunnelAccess? Tunnel { get; init; }

    /// <summary>Local subnets (and link-local multicast and broadcast) pass, in and out.</summary>
    public bool AllowLan { get; init; }

    /// <summary>The subnets that count as local when <see cref="AllowLan"/> is set (CIDR text).</summary>
    public IReadOnlyList<string> LanSubnets { get; init; } = [];

    /// <summary>Provider API connections a connect needs under lockdown: one user, one address, one TCP port each.</summary>
    public IReadOnlyList<ApiAccess> Api { get; init; } = [];
}

/// <summary>
/// One exit's encrypted socket: UDP to <see cref="Address"/>:<see cref="Port"/>, from a socket that carries
/// firewall mark <see cref="Mark"/> (root exits: the WireGuard interface marks its own packets) or belongs to
/// user <see cref="OwnerUid"/> (rootless exits, whose packets leave through the user's own pasta). Matching the
/// socket as well as the destination keeps other programs from using the hole.
/// </summary>
internal sealed record ExitSocket(IPAddress Address, int Port, uint? Mark = null, uint? OwnerUid = null)
{
    public static ExitSocket ByMark(IPAddress address, int port, uint mark) => new(address, port, Mark: mark);

    public static ExitSocket ByOwner(IPAddress address, int port, uint uid) => new(address, port, OwnerUid: uid);
}

/// <summary>
/// The direct tunnel: traffic leaving through <see cref="Interface"/> passes, except DNS to anything but
/// <see cref="Dns"/> and a family the tunnel does not carry.
/// </summary>
internal sealed record TunnelAccess(
    string Interface,
    IReadOnlyList<IPAddress> Dns,
    bool Ipv4,
    bool Ipv6,
    IReadOnlyList<IPAddress> Addresses);

/// <summary>A TCP connection user <see cref="Uid"/> may open to <see cref="Address"/>:<see cref="Port"/>.</summary>
internal sealed record ApiAccess(uint Uid, IPAddress Address, int Port);
