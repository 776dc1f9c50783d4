using System.Text;

namespace Tunmux.Contracts;

/// <summary>
/// Everything needed to bring up one WireGuard tunnel, in plain values.
/// <see cref="ToString"/> never prints the private or preshared keys.
/// </summary>
public sealed record WireGuardProfile
{
    /// <summary>The interface's private key, base64 of 32 bytes. Secret.</summary>
    public required string PrivateKey { get; init; }

    /// <summary>Interface addresses in CIDR form (<c>10.2.0.2/32</c>, <c>fd00::2/128</c>).</summary>
    public required IReadOnlyList<string> Addresses { get; init; }

    /// <summary>DNS server addresses to use while connected.</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];

    /// <summary>MTU, or null for the host default (1420).</summary>
    public int? Mtu { get; init; }

    /// <summary>
    /// The address inside the tunnel that answers NAT-PMP port-mapping requests (Proton: <c>10.2.0.1</c>);
    /// null when the server offers no port forwarding.
    /// </summary>
    public string? PortForwardGateway { get; init; }

    /// <summary>The peers; VPN providers give exactly one.</summary>
    public required IReadOnlyList<WireGuardPeer> Peers { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder("WireGuardProfile { PrivateKey = ***, Addresses = [");
        sb.AppendJoin(", ", Addresses).Append("], Dns = [").AppendJoin(", ", Dns).Append("], Mtu = ")
          .Append(Mtu?.ToString() ?? "default").Append(", Peers = [").AppendJoin(", ", Peers).Append("] }");
        return sb.ToString();
    }
}

/// <summary>One WireGuard peer.</summary>
public sealed record WireGuardPeer
{
    /// <summary>The peer's public key, base64 of 32 bytes.</summary>
    public required string PublicKey { get; init; }

    /// <summary>Optional preshared key, base64 of 32 bytes. Secret.</summary>
    public string? PresharedKey { get; init; }

    /// <summary>Endpoint as <c>host:port</c> or <c>[v6]:port</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Allowed IPs in CIDR form; <c>0.0.0.0/0</c> and <c>::/0</c> for a full tunnel.</summary>
    public required IReadOnlyList<string> AllowedIps { get; init; }

    /// <summary>Persistent keepalive in seconds, or null for none.</summary>
    public int? PersistentKeepalive { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"WireGuardPeer {{ PublicKey = {PublicKey}, PresharedKey = {(PresharedKey is null ? "none" : "***")}, Endpoint = {Endpoint}, AllowedIps = [{string.Join(", ", AllowedIps)}], PersistentKeepalive = {PersistentKeepalive?.ToString() ?? "none"} }}";
}

/// <summary>Who the user is connected to, as the provider names it.</summary>
/// <param name="Name">The server's name as the provider shows it (<c>US#1</c>, <c>Castor</c>); the host derives the instance name from it.</param>
/// <param name="Country">ISO country code, when known.</param>
/// <param name="City">City, when known.</param>
public sealed record ServerIdentity(string Name, string? Country = null, string? City = null);

/// <summary>The result of <see cref="IVpnProvider.PrepareConnectAsync"/>.</summary>
/// <param name="Profile">The tunnel to bring up.</param>
/// <param name="Server">The chosen server.</param>
public sealed record ConnectPlan(WireGuardProfile Profile, ServerIdentity Server)
{
    /// <summary>
    /// Complete profiles of other servers that match the same request (same country and filters), best
    /// first. When the chosen server stops answering, the daemon fails over to them in this order, in the
    /// same namespace and on the same ports. Empty means no failover.
    /// </summary>
    public IReadOnlyList<ConnectAlternative> Alternatives { get; init; } = [];

    /// <summary>
    /// When the provider's tunnel credential should be renewed (Proton's certificate) through
    /// <see cref="IVpnProvider.RefreshAsync"/>; null means never.
    /// </summary>
    public DateTimeOffset? RenewAfter { get; init; }
}

/// <summary>Another server a connection may fail over to.</summary>
/// <param name="Profile">The complete tunnel to bring up instead.</param>
/// <param name="Server">That server.</param>
public sealed record ConnectAlternative(WireGuardProfile Profile, ServerIdentity Server);
