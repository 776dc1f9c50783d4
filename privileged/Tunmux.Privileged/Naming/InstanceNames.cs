using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Tunmux.Privileged.Naming;

/// <summary>
/// The one naming rule: instance names come from server names, and interface and namespace
/// names are derived from instance names (never taken from a request as they are).
/// </summary>
public static partial class InstanceNames
{
    public const string Direct = "_direct";
    public const int MaxInstanceLength = 32;
    public const string NamespacePrefix = "tunmux_";
    public const string InterfacePrefix = "wg-";

    /// <summary>Linux's IFNAMSIZ minus the terminating zero.</summary>
    public const int MaxInterfaceLength = 15;

    [GeneratedRegex(@"^[a-z0-9_-]+\z")]
    private static partial Regex InstancePattern();

    public static bool IsValidInstance(string? instance) =>
        instance is { Length: > 0 and <= MaxInstanceLength }
        && InstancePattern().IsMatch(instance)
        && instance != "-" && instance != "_";

    /// <summary><c>US#1</c> → <c>us-1</c>, <c>Castor</c> → <c>castor</c>.</summary>
    public static string FromServerName(string serverName)
    {
        var sb = new StringBuilder(serverName.Length);
        foreach (var c in serverName.ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9')) sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var name = sb.ToString().Trim('-');
        // Leave room for a "_N" suffix that tells apart a second connection to the same server.
        if (name.Length > MaxInstanceLength - 3) name = name[..(MaxInstanceLength - 3)].TrimEnd('-');
        return name.Length == 0 ? "server" : name;
    }

    /// <summary>
    /// The first of <c>base</c>, <c>base_2</c>, <c>base_3</c>, ... not in <paramref name="taken"/>.
    /// Sanitized server names never contain '_', so a suffixed name cannot collide with another server's.
    /// </summary>
    public static string Unique(string baseName, IReadOnlySet<string> taken)
    {
        // Shortened interface names carry a 40-bit hash; checking them too makes a clash impossible, not just unlikely.
        var takenInterfaces = taken.Select(Interface).ToHashSet(StringComparer.Ordinal);
        bool Free(string name) => !taken.Contains(name) && !takenInterfaces.Contains(Interface(name));
        if (Free(baseName)) return baseName;
        for (var i = 2; ; i++)
        {
            var candidate = $"{baseName}_{i}";
            if (Free(candidate)) return candidate;
        }
    }

    public static string Namespace(string instance) => NamespacePrefix + instance;

    /// <summary>Separates the hashed part of a shortened interface name; never in an instance name.</summary>
    public const char HashSeparator = '.';

    /// <summary>
    /// <c>wg-&lt;instance&gt;</c> when it fits in 15 characters; otherwise the first 3 characters of the
    /// instance, a dot and 8 base32 characters (40 bits) of a SHA-256 of the full name, so the same
    /// name always gives the same interface and distinct names practically never meet
    /// (<see cref="Unique"/> rules out the rest). Instance names never hold a dot, so no short name
    /// can produce a shortened one; the daemon refuses whatever collision remains.
    /// </summary>
    public static string Interface(string instance)
    {
        var full = InterfacePrefix + instance;
        if (full.Length <= MaxInterfaceLength) return full;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(instance));
        return InterfacePrefix + instance[..3] + HashSeparator + Base32(hash)[..8];
    }

    private static string Base32(byte[] data)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var sb = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        return sb.ToString();
    }
}
