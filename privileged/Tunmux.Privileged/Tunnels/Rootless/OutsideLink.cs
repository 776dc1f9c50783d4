using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// The rootless exit's one way out, for the encrypted WireGuard packets only: a user-mode network link
/// attached to the holder's namespace. pasta (from passt) by default: it maps the namespace's traffic onto
/// ordinary sockets of the user on the host, copies the host's addressing (no extra NAT subnet), and moves
/// data with fewer copies than slirp4netns, which is the fallback where pasta is not installed.
/// </summary>
internal static class OutsideLink
{
    /// <summary>The command that attaches the link to the holder's namespaces (pasta/slirp4netns join them by PID).</summary>
    public static IReadOnlyList<string> Argv(RootlessTools tools, int holderPid, bool ipv6Endpoint)
    {
        var pid = holderPid.ToString(CultureInfo.InvariantCulture);
        if (tools.OutsideLink == "pasta")
            return
            [
                tools.OutsideLinkPath, "--config-net", "--foreground", "--quiet",
                // Only the family the endpoint needs; the tunnel carries both.
                ipv6Endpoint ? "--ipv6-only" : "--ipv4-only",
                // Nothing but the way out: the gateway is not the host's loopback, no port of the host is
                // reachable from inside nor any port inside from the host, and no autoconfiguration adds routes later.
                "--no-map-gw", "--no-ra", "--no-dhcp", "--no-dhcpv6",
                "--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", "none", "--udp-ns", "none",
                pid,
            ];
        var argv = new List<string> { tools.OutsideLinkPath, "--configure", "--mtu=65520", "--disable-host-loopback" };
        if (ipv6Endpoint) argv.Add("--enable-ipv6");
        argv.AddRange([pid, "tap0"]);
        return argv;
    }

    /// <summary>
    /// Waits until the link has configured the namespace (a default route of the endpoint's family exists
    /// there), read from /proc without starting a process; returns the gateway and the link's name.
    /// </summary>
    public static async Task<(IPAddress Gateway, string Device)> WaitForDefaultRouteAsync(
        TunnelRecord r, bool ipv6, TimeSpan timeout, string logPath, CancellationToken ct)
    {
        var holder = r.HolderPid ?? throw new InvalidOperationException("no namespace holder");
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if ((ipv6 ? DefaultRouteV6(holder) : DefaultRouteV4(holder)) is { } route) return route;
            if (r.OutsidePid is not { } pid || !ProcessControl.IsRunning(pid))
                throw new PrivilegedException(ErrorCodes.Failed,
                    $"{r.OutsideLink} exited before configuring the namespace: {NamespaceProcesses.LastLine(logPath) ?? "no message"}");
            if (Environment.TickCount64 > deadline)
                throw new PrivilegedException(ErrorCodes.Failed,
                    $"{r.OutsideLink} did not configure the namespace within {timeout.TotalSeconds:0.#} s (log: {logPath})");
            await Task.Delay(2, ct);
        }
    }

    /// <summary>The endpoint's address (a host name was resolved before the namespace existed).</summary>
    public static IPAddress EndpointAddress(string endpoint)
    {
        var host = endpoint.StartsWith('[') ? endpoint[1..endpoint.IndexOf(']', StringComparison.Ordinal)] : endpoint[..endpoint.LastIndexOf(':')];
        return IPAddress.Parse(host);
    }

    /// <summary><c>/proc/&lt;pid&gt;/net/route</c>: the namespace's IPv4 main table; addresses in host byte order, hex.</summary>
    private static (IPAddress, string)? DefaultRouteV4(int pid)
    {
        foreach (var line in ReadLines($"/proc/{pid}/net/route").Skip(1))
        {
            var f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (f.Length < 8 || f[1] != "00000000" || f[7] != "00000000" || f[2] == "00000000") continue;
            var gateway = uint.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (new IPAddress(gateway), f[0]);
        }
        return null;
    }

    /// <summary><c>/proc/&lt;pid&gt;/net/ipv6_route</c>: destination, length, source, length, next hop, metric, ..., device.</summary>
    private static (IPAddress, string)? DefaultRouteV6(int pid)
    {
        foreach (var line in ReadLines($"/proc/{pid}/net/ipv6_route"))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[0] != new string('0', 32) || f[1] != "00" || f[4] == new string('0', 32)) continue;
            return (new IPAddress(Convert.FromHexString(f[4])), f[9]);
        }
        return null;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try { return File.ReadAllLines(path); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public static bool IsIPv6(IPAddress a) => a.AddressFamily == AddressFamily.InterNetworkV6;
}
