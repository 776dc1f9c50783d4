using System.Text;

namespace Tunmux.Fakes.AirVpn;

/// <summary>AirVPN's <c>base64(name):base64(value)\n</c> encoding, decoded independently of the plugin.</summary>
public static class Assoc
{
    public static Dictionary<string, byte[]> Decode(byte[] data)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(data).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException("assoc line without a colon");
            result[Encoding.UTF8.GetString(Convert.FromBase64String(line[..colon]))] = Convert.FromBase64String(line[(colon + 1)..]);
        }
        return result;
    }
}
