using System.Text.Json.Serialization;

namespace Tunmux.Privileged.Processes;

/// <summary>
/// Who asked the daemon for something: the user id, primary group and supplementary groups of the
/// process on the other end of the control socket, as the kernel recorded them when it connected
/// (<c>SO_PEERCRED</c> and <c>SO_PEERGROUPS</c>), not as the client claims. Programs the daemon
/// starts on a caller's behalf run with exactly these (see <see cref="RunAsCaller"/>).
/// </summary>
public sealed record CallerIdentity(
    [property: JsonPropertyName("uid")] uint Uid,
    [property: JsonPropertyName("gid")] uint Gid,
    [property: JsonPropertyName("groups")] IReadOnlyList<uint> Groups)
{
    /// <summary>The daemon's own callers when nobody is on the other end (a root command over stdio without sudo).</summary>
    public static CallerIdentity Root { get; } = new(0, 0, []);

    [JsonIgnore] public bool IsRoot => Uid == 0;

    public override string ToString() => $"uid {Uid} gid {Gid} groups [{string.Join(',', Groups)}]";
}
