using System.Text;

namespace Tunmux.Plugins.AirVpn.Api;

/// <summary>
/// AirVPN's key/value wire encoding: one <c>base64(name):base64(value)</c> line per pair,
/// each ending with a newline, UTF-8 throughout.
/// </summary>
internal static class AssocEncoding
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, byte[]>> pairs)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
            sb.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(k))).Append(':').Append(Convert.ToBase64String(v)).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> pairs) =>
        Encode(pairs.Select(p => KeyValuePair.Create(p.Key, Encoding.UTF8.GetBytes(p.Value))));
}
