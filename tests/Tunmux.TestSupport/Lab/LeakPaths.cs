using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Tunmux.TestSupport.Lab;

/// <summary>
/// Every ordinary path a leak from the lab's direct-mode host stand-in could take, opened and shown to work: an IPv4
/// and an IPv6 default route to the lab's internet, a resolver on the stand-in's LAN (its original nameserver,
/// 198.18.1.1) and one on the internet (198.18.100.54, DNS and DNS over TLS's port). A counter on the internet's side
/// of the stand-in's link measures what leaves by the ordinary route: every packet but WireGuard's encrypted UDP and
/// IPv6's link housekeeping. Everything lives in the lab's namespaces, which the lab removes.
/// </summary>
public sealed partial class LeakPaths : IDisposable
{
    // 2001:2::/48 is IPv6's benchmarking range, as 198.18.0.0/15 is IPv4's (the lab itself is IPv4 only).
    public const string WhoamiV6 = "2001:2:0:100::1";
    public const string StandInV6 = "2001:2:0:1::2";
    public const string LanResolver = "198.18.1.1";
    public const string InternetResolver = "198.18.100.54";

    /// <summary>What-is-my-IP on the stand-in's LAN (the subnet it is directly on).</summary>
    public const string LanUrl = "http://198.18.1.1/";
    private const string Watch = "leakwatch";

    private readonly Lab _lab;
    private readonly List<Process> _services = [];

    private LeakPaths(Lab lab) => _lab = lab;

    private string StandIn => _lab.DirectHostNamespace;
    private string Inet => _lab.InternetNamespace;

    /// <summary>Opens the paths, waits until each answers and the stand-in's routes settle.</summary>
    public static LeakPaths Open(Lab lab)
    {
        Requires.Command("dig", "bind9-dnsutils");
        Requires.Command("socat", "socat");
        Requires.Command("dnsmasq", "dnsmasq-base");
        Requires.Command("nft", "nftables");
        var paths = new LeakPaths(lab);
        try
        {
            paths.Build();
            return paths;
        }
        catch
        {
            paths.Dispose();
            throw;
        }
    }

    private void Build()
    {
        Lab.Check(Lab.InNamespace(Inet, "sysctl", "-qw", "net.ipv6.conf.dh0.disable_ipv6=0"));
        Lab.Check(Lab.InNamespace(StandIn, "sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=0"));
        Ip(Inet, "addr", "add", "2001:2:0:1::1/64", "dev", "dh0", "nodad");
        Ip(StandIn, "addr", "add", StandInV6 + "/64", "dev", "eth0", "nodad");
        Ip(StandIn, "-6", "route", "add", "default", "via", "2001:2:0:1::1");
        Ip(Inet, "addr", "add", WhoamiV6 + "/128", "dev", "lo");
        Ip(Inet, "addr", "add", InternetResolver + "/32", "dev", "lo");
        Start(Inet, "python3", Path.Combine(Path.GetDirectoryName(Lab.ScriptPath)!, "whoami.py"), WhoamiV6, "80");
        Start(Inet, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
            "--listen-address=" + LanResolver, "--listen-address=" + InternetResolver, "--user=root",
            "--pid-file=" + Path.Combine(_lab.Dir, "leak-dns.pid"), "--address=/whoami.lab/" + _lab.WhoamiIp);
        Start(Inet, "socat", "-u", $"TCP-LISTEN:853,bind={InternetResolver},fork,reuseaddr", "OPEN:/dev/null");
        // A web server on the stand-in's LAN, for --allow-lan.
        Start(Inet, "python3", Path.Combine(Path.GetDirectoryName(Lab.ScriptPath)!, "whoami.py"), LanResolver, "80");
        // Counted where the stand-in's packets arrive, before anything else sees them.
        Lab.Check(Lab.Run("ip", ["netns", "exec", Inet, "nft", "-f", "-"], stdin: $$"""
            table inet {{Watch}} {
                counter leaked { }
                chain arriving {
                    type filter hook prerouting priority -400; policy accept;
                    iifname != "dh0" accept
                    udp dport 51820 accept
                    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept
                    counter name "leaked"
                }
            }
            """));

        // Ready, and settled: link-local routes appear when IPv6 comes up, and must not land mid-comparison.
        WaitFor(() => Whoami6() == StandInV6 && Dig(LanResolver) == _lab.WhoamiIp && Tcp(InternetResolver, 853)
                      && Fetch(LanUrl) == _lab.DirectHostAddress, "the leak paths to answer");
        var settled = "";
        for (var i = 0; i < 20; i++)
        {
            Thread.Sleep(100);
            var now = Lab.Check(Lab.Run("ip", ["-n", StandIn, "route", "show", "table", "all"]))
                      + Lab.Check(Lab.Run("ip", ["-n", StandIn, "-6", "route", "show", "table", "all"]));
            if (now == settled) break;
            settled = now;
        }
    }

    /// <summary>Packets that left the stand-in by its ordinary link since the last <see cref="ResetCounter"/>, WireGuard's aside.</summary>
    public long Leaked()
    {
        var text = Lab.Check(Lab.InNamespace(Inet, "nft", "list", "counter", "inet", Watch, "leaked"));
        return long.Parse(Packets().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public void ResetCounter() => Lab.Check(Lab.InNamespace(Inet, "nft", "reset", "counter", "inet", Watch, "leaked"));

    /// <summary>An HTTP GET from the stand-in with a short timeout: the body, or "error: ..." when it fails.</summary>
    public string Fetch(string url, params string[] extra)
    {
        var r = Lab.InNamespace(StandIn, "curl", ["-sS", "-m", "3", .. extra, url]);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    public string Whoami6() => Fetch($"http://[{WhoamiV6}]/", "-6");

    /// <summary>The address a resolver gives for whoami.lab, or "error: ..." when none answers.</summary>
    public string Dig(string server, string transport = "+notcp")
    {
        var r = Lab.InNamespace(StandIn, "dig", "+short", "+time=2", "+tries=1", transport, "@" + server, "whoami.lab");
        var answer = r.Output.Trim();
        return r.Ok && System.Net.IPAddress.TryParse(answer, out _) ? answer : "error: " + (answer + " " + r.Error).Trim();
    }

    /// <summary>Whether a TCP connection from the stand-in to <paramref name="host"/>:<paramref name="port"/> opens.</summary>
    public bool Tcp(string host, int port) =>
        Lab.InNamespace(StandIn, "timeout", "3", "bash", "-c", $"exec 3<>/dev/tcp/{host}/{port}").Ok;

    public static void WaitFor(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("timed out waiting for " + what);
            Thread.Sleep(100);
        }
    }

    /// <summary>Ends the services by their PIDs and removes the counter; the addresses go with the lab's namespaces.</summary>
    public void Dispose()
    {
        foreach (var p in _services)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(2000); } }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        _services.Clear();
        Lab.InNamespace(Inet, "nft", "delete", "table", "inet", Watch);
    }

    private static void Ip(string ns, params string[] args) => Lab.Check(Lab.Run("ip", ["-n", ns, .. args]));

    private void Start(string ns, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns, file }.Concat(args)) psi.ArgumentList.Add(a);
        // ip netns exec replaces itself with the program: this PID is the service's own.
        _services.Add(Process.Start(psi)!);
    }

    [GeneratedRegex(@"packets (\d+)")]
    private static partial Regex Packets();
}
