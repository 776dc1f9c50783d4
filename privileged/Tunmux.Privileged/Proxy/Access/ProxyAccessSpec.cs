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
            if (entry.StartsWith(UserPrefix, StringComparison.Ordinal))
                uids.Add(Posix.LookupUserByName(entry[UserPrefix.Length..])
                         ?? throw Invalid($"proxy.allow: no user named {RequestValidator.Preview(entry[UserPrefix.Length..])} on this machine"));
            else if (entry.StartsWith(GroupPrefix, StringComparison.Ordinal))
                gids.Add(Posix.LookupGroup(entry[GroupPrefix.Length..])?.Gid
                         ?? throw Invalid($"proxy.allow: no group named {RequestValidator.Preview(entry[GroupPrefix.Length..])} on this machine"));
            else
                throw Invalid("proxy.allow: entries are user:NAME or group:NAME");
        }
        return new ProxyAccessSpec(share, uids.Distinct().ToList(), gids.Distinct().ToList());
    }

    private static PrivilegedException Invalid(string message) => new(ErrorCodes.InvalidArgument, "invalid argument " + message);
}
