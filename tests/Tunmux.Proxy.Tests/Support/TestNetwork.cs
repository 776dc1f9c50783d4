using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tunmux.Privileged.Processes;
using Tunmux.TestSupport;

namespace Tunmux.Proxy.Tests.Support;

/// <summary>
/// Two namespaces made for one test run: <c>tbpx…</c> stands in for a VPN namespace, <c>tbpo…</c>
/// for the internet behind it (a veth between them, 198.18.99.0/24, a dnsmasq that knows a name
/// the host does not). Nothing is added to the root namespace; <see cref="DisposeAsync"/> removes
/// everything, also after a failure.
/// </summary>
public sealed partial class TestNetwork : IAsyncDisposable
{
    public const string SecretName = "secret.tunmux.test";
    public static readonly IPAddress VpnSide = IPAddress.Parse("198.18.99.1");
    public static readonly IPAddress InternetSide = IPAddress.Parse("198.18.99.2");

    private readonly List<Process> _processes = [];
    private readonly string _tag = Random.Shared.Next(100000, 999999).ToString();
    private readonly TempDir _dir = new("tunmux-proxy-net-");

    public string VpnNamespace => "tbpx" + _tag;
    public string InternetNamespace => "tbpo" + _tag;
    private string EtcNetns => "/etc/netns/" + VpnNamespace;

    private static Task<string> Ip(params string[] args) =>
        ProcessRunner.Default.RunCheckedAsync("ip", args, timeout: TimeSpan.FromSeconds(20));

    public async Task CreateAsync()
    {
        await Ip("netns", "add", VpnNamespace);
        await Ip("netns", "add", InternetNamespace);
        await Ip("-n", VpnNamespace, "link", "add", "tbv0", "type", "veth", "peer", "name", "tbv1", "netns", InternetNamespace);
        await Ip("-n", VpnNamespace, "link", "set", "lo", "up");
        await Ip("-n", InternetNamespace, "link", "set", "lo", "up");
        await Ip("-n", VpnNamespace, "addr", "add", VpnSide + "/24", "dev", "tbv0");
        await Ip("-n", InternetNamespace, "addr", "add", InternetSide + "/24", "dev", "tbv1");
        await Ip("-n", VpnNamespace, "link", "set", "tbv0", "up");
        await Ip("-n", InternetNamespace, "link", "set", "tbv1", "up");
        await Ip("-n", VpnNamespace, "route", "add", "default", "via", InternetSide.ToString());

        // The namespace's own resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf.
        Directory.CreateDirectory(EtcNetns);
        await File.WriteAllTextAsync(Path.Combine(EtcNetns, "resolv.conf"), $"nameserver {InternetSide}\n");

        var dnsmasq = Process.Start(new ProcessStartInfo("ip",
        [
            "netns", "exec", InternetNamespace, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
            "--bind-interfaces", "--listen-address=" + InternetSide, "--port=53", "--user=root",
            $"--address=/{SecretName}/{InternetSide}", "--pid-file=" + _dir.Combine("dnsmasq.pid"), "--log-facility=-",
        ]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _processes.Add(dnsmasq);
        await WaitForDnsAsync();
    }

    private async Task WaitForDnsAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            var r = await ProcessRunner.Default.RunAsync("ip", ["netns", "exec", VpnNamespace, "getent", "hosts", SecretName], timeout: TimeSpan.FromSeconds(5));
            if (r.Succeeded) return;
            await Task.Delay(50);
        }
        throw new InvalidOperationException("dnsmasq in the test namespace did not answer");
    }

    /// <summary>Creates a socket inside a namespace: on a dedicated thread that joins it, so no other code runs there.</summary>
    public static Socket SocketIn(string ns, Func<Socket> create)
    {
        Socket? result = null;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var f = File.OpenHandle("/run/netns/" + ns);
                if (SetNs((int)f.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
                    throw new InvalidOperationException($"setns {ns} failed: errno {Marshal.GetLastPInvokeError()}");
                result = create();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        // The thread ends with it, carrying its namespace away; the socket stays in the namespace it was made in.
        return result ?? throw error!;
    }

    public Socket ListenInInternet(int port) => SocketIn(InternetNamespace, () => TcpEcho.Listen(InternetSide, port));

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try { p.Kill(); await p.WaitForExitAsync(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        await ProcessRunner.Default.RunAsync("ip", ["netns", "del", VpnNamespace]);
        await ProcessRunner.Default.RunAsync("ip", ["netns", "del", InternetNamespace]);
        try { Directory.Delete(EtcNetns, recursive: true); } catch (DirectoryNotFoundException) { }
        _dir.Dispose();
    }
}
