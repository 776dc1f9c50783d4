using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// The address part of a SOCKS5 request and of a UDP datagram header (RFC 1928: ATYP, DST.ADDR, DST.PORT),
/// parsed from bytes alone: no socket, no resolver. The request handler and the UDP relay both use it,
/// and the fuzz target drives it directly.
/// </summary>
internal readonly record struct Socks5Address(IPEndPoint? Literal, string? Host, int Port, bool HostValid, string RawHost)
{
    public const byte IPv4 = 1, Domain = 3, IPv6 = 4;

    /// <summary>
    /// Bytes ATYP, the address and the port take, as far as <paramref name="s"/> (starting at ATYP) tells:
    /// more than <c>s.Length</c> means "read more first"; -1 an address type this proxy does not know.
    /// </summary>
    public static int Length(ReadOnlySpan<byte> s)
    {
        if (s.Length < 1) return 1;
        return s[0] switch
        {
            IPv4 => 1 + 4 + 2,
            IPv6 => 1 + 16 + 2,
            Domain => s.Length < 2 ? 2 : 1 + 1 + s[1] + 2,
            _ => -1,
        };
    }

    /// <summary>Parses a complete address (<c>s.Length &gt;= Length(s) &gt; 0</c>); false when it is not.</summary>
    public static bool TryRead(ReadOnlySpan<byte> s, out Socks5Address address)
    {
        address = default;
        var length = Length(s);
        if (length <= 0 || s.Length < length) return false;
        var port = BinaryPrimitives.ReadUInt16BigEndian(s.Slice(length - 2, 2));
        switch (s[0])
        {
            case IPv4:
                address = new Socks5Address(new IPEndPoint(new IPAddress(s.Slice(1, 4)), port), null, port, true, "");
                return true;
            case IPv6:
                address = new Socks5Address(new IPEndPoint(new IPAddress(s.Slice(1, 16)), port), null, port, true, "");
                return true;
            default:
                var name = s.Slice(2, s[1]);
                // Checked on the bytes, before any text is made of them or a resolver sees them; the raw form
                // (Latin-1 maps every byte) is kept for the log, which escapes it.
                var valid = HostNames.IsValid(name);
                address = new Socks5Address(null, valid ? Encoding.ASCII.GetString(name) : null, port, valid, Encoding.Latin1.GetString(name));
                return true;
        }
    }
}
