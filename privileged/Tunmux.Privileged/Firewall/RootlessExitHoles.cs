using System.Text.Json.Serialization;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Firewall;

/// <summary>
/// One rootless exit let through the firewall: user <see cref="Uid"/>'s UDP to <see cref="Endpoint"/>. A rootless
/// exit's wireguard-go runs inside the user's own namespace, so its encrypted traffic leaves the machine from the
/// user's pasta (or slirp4netns) process: owned by the user, without the exit mark root's interfaces set.
/// </summary>
internal sealed class RootlessExitHole
{
    [JsonPropertyName("uid")] public uint Uid { get; set; }
    [JsonPropertyName("instance")] public required string Instance { get; set; }
    [JsonPropertyName("endpoint")] public required string Endpoint { get; set; }
}

/// <summary>
/// The rules for rootless exits' holes: one endpoint per exit (a later one replaces it), at most
/// <see cref="MaxPerUser"/> exits per user and <see cref="MaxTotal"/> in all, so no caller can grow the table
/// without bound. The uid is the caller's own; this type never sees where it came from.
/// </summary>
internal static class RootlessExitHoles
{
    public const int MaxPerUser = 16;
    public const int MaxTotal = 256;

    /// <summary>Records (or moves) <paramref name="uid"/>'s exit <paramref name="instance"/> to <paramref name="endpoint"/>.</summary>
    public static void Set(List<RootlessExitHole> holes, uint uid, string instance, string endpoint)
    {
        if (!EndpointAddress.TryParse(endpoint, out _, out var port) || port is < 1 or > 65535)
            throw new PrivilegedException(ErrorCodes.InvalidArgument, "endpoint: must be address:port or [IPv6]:port");
        if (holes.Find(h => h.Uid == uid && h.Instance == instance) is { } same)
        {
            same.Endpoint = endpoint;
            return;
        }
        if (holes.Count(h => h.Uid == uid) >= MaxPerUser)
            throw new PrivilegedException(ErrorCodes.Conflict,
                $"user {uid} already has {MaxPerUser} rootless exits let through tunmux's firewall; disconnect one of them first");
        if (holes.Count >= MaxTotal)
            throw new PrivilegedException(ErrorCodes.Conflict,
                $"{MaxTotal} rootless exits are already let through tunmux's firewall; disconnect some first");
        holes.Add(new RootlessExitHole { Uid = uid, Instance = instance, Endpoint = endpoint });
    }

    /// <summary>Forgets <paramref name="uid"/>'s exit <paramref name="instance"/>; false when it was not there.</summary>
    public static bool Remove(List<RootlessExitHole> holes, uint uid, string instance) =>
        holes.RemoveAll(h => h.Uid == uid && h.Instance == instance) > 0;

    /// <summary>What the table lets out: each exit's owner to its endpoint, by UDP (an unreadable entry is left out: fail closed).</summary>
    public static IEnumerable<ExitSocket> Sockets(IEnumerable<RootlessExitHole> holes)
    {
        foreach (var h in holes)
            if (EndpointAddress.TryParse(h.Endpoint, out var address, out var port))
                yield return ExitSocket.ByOwner(address, port, h.Uid);
    }
}
