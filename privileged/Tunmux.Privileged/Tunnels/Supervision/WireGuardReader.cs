using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// Reads an exit's interface. A userspace data plane (wireguard-go, boringtun) answers on its UAPI socket
/// (<c>/var/run/wireguard/&lt;if&gt;.sock</c>, root-only), which costs one local round trip and no process: that
/// is what keeps twenty idle supervised exits cheap. A kernel link is read with <c>wg show &lt;if&gt; dump</c> in its
/// namespace (a process per read). Neither output's private key is kept or logged.
/// </summary>
internal sealed class WireGuardReader(Func<TunnelRecord> record, SystemCommands commands) : IInterfaceReader
{
    public const string UapiDir = "/var/run/wireguard";

    private static readonly TimeSpan UapiTimeout = TimeSpan.FromSeconds(5);

    public async Task<InterfaceSnapshot> ReadAsync(CancellationToken ct)
    {
        var r = record();
        if (r.DataPlane is not null and not "kernel")
        {
            var path = Path.Combine(UapiDir, r.Interface + ".sock");
            if (!File.Exists(path)) throw new InterfaceGoneException($"interface {r.Interface} is gone ({r.DataPlane} no longer runs)");
            return ParseUapi(QueryUapi(path), r.PeerPublicKey);
        }
        var ns = r.Namespace;
        if (ns is not null && !commands.Tools.NamespaceExists(ns)) throw new InterfaceGoneException($"namespace {ns} is gone");
        var show = ns is null
            ? await commands.RunAsync(commands.Tools.Wg, ["show", r.Interface, "dump"], ct: ct).ConfigureAwait(false)
            : await commands.RunAsync(commands.Tools.Ip, ["netns", "exec", ns, commands.Tools.Wg, "show", r.Interface, "dump"], ct: ct).ConfigureAwait(false);
        if (!show.Succeeded) throw new InterfaceGoneException($"interface {r.Interface} is gone ({show.Summary})");
        return ParseDump(show.StandardOutput, r.PeerPublicKey);
    }

    /// <summary>
    /// One <c>get</c> on the control socket, blocking: the userspace process answers a local socket at once, and a
    /// read without the asynchronous machinery (a readiness registration, a hop back to the thread pool) is what
    /// an idle exit's check mostly costs. A process that stops answering is given up after the socket timeout.
    /// </summary>
    private static string QueryUapi(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.SendTimeout = socket.ReceiveTimeout = (int)UapiTimeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send("get=1\n\n"u8);
            var text = new StringBuilder();
            Span<byte> buffer = stackalloc byte[4096];
            while (true)
            {
                var n = socket.Receive(buffer);
                if (n == 0) break;
                text.Append(Encoding.ASCII.GetString(buffer[..n]));
                // The answer ends with an errno line and an empty line.
                if (text.Length > 1 && text[^1] == '\n' && text[^2] == '\n') break;
                if (text.Length > 1 << 20) throw new IOException("the interface's answer is too long");
            }
            return text.ToString();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new IOException($"the interface's control socket {path} did not answer within {UapiTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            throw new InterfaceGoneException($"cannot reach the interface's control socket {path}: {e.Message}");
        }
    }

    /// <summary>The UAPI <c>get</c> answer: <c>key=value</c> lines, each peer starting at its <c>public_key</c> (hex).</summary>
    internal static InterfaceSnapshot ParseUapi(string text, string expectedPeer)
    {
        string? peer = null, endpoint = null;
        long rx = 0, tx = 0, sec = 0, nsec = 0;
        var found = false;
        foreach (var line in text.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var key = line[..eq];
            var value = line[(eq + 1)..];
            switch (key)
            {
                case "public_key":
                    // The first peer, or the configured one when there are more (there never should be).
                    if (found && peer == expectedPeer) return Snapshot();
                    peer = HexToBase64(value);
                    found = true;
                    endpoint = null;
                    rx = tx = sec = nsec = 0;
                    break;
                case "endpoint" when found: endpoint = value; break;
                case "rx_bytes" when found: rx = Long(value); break;
                case "tx_bytes" when found: tx = Long(value); break;
                case "last_handshake_time_sec" when found: sec = Long(value); break;
                case "last_handshake_time_nsec" when found: nsec = Long(value); break;
                case "errno" when value != "0": throw new IOException($"the interface answered errno {value}");
            }
        }
        return Snapshot();

        InterfaceSnapshot Snapshot() => new(rx, tx,
            sec > 0 ? DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nsec / 100) : null, peer, endpoint);
    }

    /// <summary>
    /// <c>wg show &lt;if&gt; dump</c>: the interface line, then per peer: public key, preshared key, endpoint, allowed
    /// IPs, latest handshake, rx, tx, keepalive, tab-separated.
    /// </summary>
    internal static InterfaceSnapshot ParseDump(string text, string expectedPeer)
    {
        InterfaceSnapshot? first = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length < 8) continue;
            var handshake = Long(f[4]);
            var snapshot = new InterfaceSnapshot(Long(f[5]), Long(f[6]),
                handshake > 0 ? DateTimeOffset.FromUnixTimeSeconds(handshake) : null, f[0], f[2] == "(none)" ? null : f[2]);
            if (f[0] == expectedPeer) return snapshot;
            first ??= snapshot;
        }
        return first ?? new InterfaceSnapshot(0, 0, null, null, null);
    }

    private static long Long(string s) => long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static string? HexToBase64(string hex)
    {
        try { return Convert.ToBase64String(Convert.FromHexString(hex.Trim())); }
        catch (FormatException) { return null; }
    }
}
