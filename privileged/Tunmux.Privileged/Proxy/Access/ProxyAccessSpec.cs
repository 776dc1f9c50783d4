using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Proxy.Access;

/// <summary>
/// Who may connect to an exit's proxies, as the launcher hands it to the proxy process: uids and gids
/// (the owner's uid always among them; root always allowed), or everyone when shared.
/// </summary>
public sealed record ProxyAccessSpec(bool Share, IReadOnlyList<uint> Uids, IReadOnlyList<uint> Gids)
{
    public const string UserPrefix = "user:", GroupPrefix = "group:";

    /// <summary>The owner only: the default of every exit.</summary>
    public static ProxyAccessSpec OwnerOnly(uint owner) => new(false, [owner], []);

    /// <summary>
    /// The owner, plus the <c>user:NAME</c> and <c>group:NAME</c> entries of <paramref name="allow"/>, looked up
    /// now; a name the system does not know is an error (a typo must not silently open or close an exit).
    /// </summary>
    public static ProxyAccessSpec Resolve(uint owner, bool share, IReadOnlyList<string>? allow)
    {
        var uids = new List<uint> { owner };
        var gids = new List<uint>();
        foreach (var entry in allow ?? [])
        {
            var found = Lookup(entry);
            if (found.Error is { } error) throw Invalid("proxy.allow: " + error);
            if (found.Uid is { } uid) uids.Add(uid);
            if (found.Gid is { } gid) gids.Add(gid);
        }
        return new ProxyAccessSpec(share, uids.Distinct().ToList(), gids.Distinct().ToList());
    }

    /// <summary>
    /// The uid (<c>user:NAME</c>) or gid (<c>group:NAME</c>) one entry names in the user and group databases, or why it
    /// names none. The daemon and the command line both ask here, so both read an entry the same way.
    /// </summary>
    public static (uint? Uid, uint? Gid, string? Error) Lookup(string entry)
    {
        if (!RequestValidator.IsAllowEntry(entry))
            return (null, null, $"entries are user:NAME or group:NAME with a user or group name (got {RequestValidator.Preview(entry)})");
        if (entry.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            var user = entry[UserPrefix.Length..];
            return Posix.LookupUserByName(user) is { } uid
                ? (uid, null, null)
                : (null, null, $"no user named {RequestValidator.Preview(user)} on this machine");
        }
        // The form allows only the two prefixes.
        var name = entry[GroupPrefix.Length..];
        return Posix.LookupGroup(name) is { } group
            ? (null, group.Gid, null)
            : (null, null, $"no group named {RequestValidator.Preview(name)} on this machine");
    }

    private static PrivilegedException Invalid(string message) => new(ErrorCodes.InvalidArgument, "invalid argument " + message);
}
