using System.Text.Json;
using NUnit.Framework;

namespace Tunmux.LabTests;

/// <summary>The wgconf provider through the real CLI and daemon: proxy exits, bad configs, direct mode.</summary>
[TestFixture]
[NonParallelizable]
public sealed class WgConfTests : LabSession
{
    protected override string LabName => "tbe2ewg";


    [Test]
    public void Two_proxy_exits_side_by_side_then_a_dead_proxy_is_stale_and_still_cleaned_up()
    {
        var tm = NewSession();
        var one = WriteClientConf(tm, 1, LabName + "-one");
        var two = WriteClientConf(tm, 2, LabName + "-two");
        var before = tm.NetworkSnapshot();

        AssertOk(tm.Tunmux("wgconf", "connect", "--proxy", "--file", one), "first proxy connect");
        AssertOk(tm.Tunmux("wgconf", "connect", "--proxy", "--file", two), "second proxy connect");

        var status = tm.Status();
        Assert.That(status.Select(s => s.GetProperty("instance").GetString()), Is.EquivalentTo(new[] { LabName + "-one", LabName + "-two" }));
        foreach (var s in status)
        {
            Assert.That(s.GetProperty("alive").GetBoolean(), Is.True, s.ToString());
            Assert.That(s.GetProperty("socks_port").ValueKind, Is.EqualTo(JsonValueKind.Number), s.ToString());
            Assert.That(s.GetProperty("http_port").ValueKind, Is.EqualTo(JsonValueKind.Number), s.ToString());
        }
        var first = status.Single(s => s.GetProperty("instance").GetString() == LabName + "-one");
        var second = status.Single(s => s.GetProperty("instance").GetString() == LabName + "-two");
        Assert.That(first.GetProperty("socks_port").GetInt32(), Is.EqualTo(1080));
        Assert.That(second.GetProperty("http_port").GetInt32(), Is.EqualTo(8119));

        // Names resolve through each tunnel's DNS; the host stand-in itself does not know them.
        Assert.That(tm.Curl("--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Curl("-x", "http://127.0.0.1:8119", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
        Assert.That(tm.Curl("-x", $"http://127.0.0.1:{first.GetProperty("http_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Curl("--socks5-hostname", $"127.0.0.1:{second.GetProperty("socks_port").GetInt32()}", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)));
        var resolve = tm.Exec("timeout", ["5", "getent", "hosts", "whoami.lab"]);
        Assert.That(resolve.ExitCode, Is.Not.Zero, "whoami.lab must not resolve on the host itself: " + resolve);
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.HostAddress), "the host's own traffic bypasses the tunnels");
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before), "routes, rules and addresses of the host changed");

        // An exit whose namespace someone deleted: status says so, and disconnect still removes everything.
        // (A proxy that dies is started again by the exit's supervisor: see SupervisionTests.)
        AssertOk(Run("ip", "netns", "del", "tunmux_" + LabName + "-one"), "delete the namespace");
        var text = tm.Tunmux("status");
        AssertOk(text, "status");
        var row = text.Output.Split('\n').Single(l => l.StartsWith(LabName + "-one ", StringComparison.Ordinal));
        Assert.That(row, Does.Contain("stale").And.Contain("namespace gone"));
        Assert.That(tm.Status().Single(s => s.GetProperty("instance").GetString() == LabName + "-one").GetProperty("alive").GetBoolean(), Is.False);

        AssertOk(tm.Tunmux("disconnect", LabName + "-one"), "disconnect of the stale instance");
        Assert.That(InstanceNamespaces(), Is.EqualTo(new[] { "tunmux_" + LabName + "-two" }));
        Assert.That(tm.Curl("-x", "http://127.0.0.1:8119", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(2)), "the other exit keeps working");

        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
        Assert.That(InstanceNamespaces(), Is.Empty);
        Assert.That(tm.Status(), Is.Empty);
        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before));
    }

    [Test]
    public void A_proxy_with_credentials_serves_only_clients_that_give_them()
    {
        var tm = NewSession();
        tm.Env["TUNMUX_PROXY_PASSWORD"] = "lab-proxy-secret";
        var conf = WriteClientConf(tm, 1, LabName + "-auth");
        AssertOk(tm.Tunmux("wgconf", "connect", "--proxy", "--proxy-user", "alice", "--file", conf), "connect with --proxy-user");

        Assert.That(tm.Curl("--socks5-hostname", "alice:lab-proxy-secret@127.0.0.1:1080", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Curl("-x", "http://alice:lab-proxy-secret@127.0.0.1:8118", Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)));
        Assert.That(tm.Exec("curl", ["-s", "-m", "5", "--socks5-hostname", "127.0.0.1:1080", Lab.WhoamiByName]).ExitCode, Is.Not.Zero, "no credentials, no service");
        Assert.That(tm.Exec("curl", ["-s", "-m", "5", "--socks5-hostname", "alice:wrong@127.0.0.1:1080", Lab.WhoamiByName]).ExitCode, Is.Not.Zero, "wrong password");
        Assert.That(tm.Exec("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "-x", "http://127.0.0.1:8118", Lab.WhoamiByName]).Output.Trim(), Is.EqualTo("407"));
        foreach (var log in Directory.EnumerateFiles(tm.StateDir, "*.log", SearchOption.AllDirectories))
            Assert.That(File.ReadAllText(log), Does.Not.Contain("lab-proxy-secret"), log);

        AssertOk(tm.Tunmux("disconnect", "--all"), "disconnect --all");
    }

    [TestCase("PrivateKey")]
    [TestCase("Endpoint")]
    public void A_malformed_config_is_one_clear_error_and_leaves_nothing(string broken)
    {
        var tm = NewSession();
        var path = WriteClientConf(tm, 1, LabName + "-bad", conf => broken == "PrivateKey"
            ? string.Join('\n', conf.Split('\n').Where(l => !l.StartsWith("PrivateKey", StringComparison.Ordinal)))
            : string.Join('\n', conf.Split('\n').Select(l => l.StartsWith("Endpoint", StringComparison.Ordinal) ? "Endpoint = 198.18.11.2" : l)));

        var r = tm.Tunmux("wgconf", "connect", "--proxy", "--file", path);

        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        // Standard error is no terminal: the step reached so far comes first as a plain line, then the one error line.
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal)), Is.EqualTo(1), "one error line: " + r.Error);
        Assert.That(lines[^1], Does.StartWith("error: ").And.Contain(path).And.Contain(broken));
        Assert.That(r.Error, Does.Not.Contain(Lab.ClientConf(1).Split('\n')[1].Split('=', 2)[1].Trim()), "the private key is never echoed");
        Assert.That(InstanceNamespaces(), Is.Empty);
        Assert.That(tm.Processes(), Is.Empty, "no daemon was started");
        Assert.That(Directory.Exists(tm.StateDir) && Directory.EnumerateFileSystemEntries(tm.StateDir).Any(), Is.False, "no daemon state");
        Assert.That(tm.Status(), Is.Empty);
    }

    [Test]
    public void Direct_mode_routes_everything_through_the_tunnel_and_disconnect_restores_the_host_exactly()
    {
        var tm = NewSession(direct: true);
        var one = WriteClientConf(tm, 1, LabName + "-d1");
        var two = WriteClientConf(tm, 2, LabName + "-d2");
        const string resolvConfPath = "/etc/resolv.conf";
        var resolvBefore = File.ReadAllBytes($"/etc/netns/{Lab.DirectHostNamespace}/resolv.conf");
        var before = tm.NetworkSnapshot();
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress));

        AssertOk(tm.Tunmux("wgconf", "connect", "--file", one), "direct connect");

        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)), "plain traffic leaves through the VPN server");
        var resolv = tm.Exec("cat", [resolvConfPath]);
        Assert.That(resolv.Output, Does.Contain("nameserver " + Lab.DnsIp));
        Assert.That(resolv.Output, Does.Not.Contain("198.18.1.1"));
        Assert.That(tm.Curl(Lab.WhoamiByName), Is.EqualTo(Lab.ExitAddress(1)), "names resolve through the VPN's DNS");

        var second = tm.Tunmux("wgconf", "connect", "--file", two);
        Assert.That(second.ExitCode, Is.Not.Zero, second.ToString());
        Assert.That(second.Error, Does.Contain("already active").And.Contain(LabName + "-d1"));
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.ExitAddress(1)), "the first connection is untouched");

        AssertOk(tm.Tunmux("disconnect"), "disconnect");

        Assert.That(tm.NetworkSnapshot(), Is.EqualTo(before), "routes, rules and addresses restored");
        Assert.That(File.ReadAllBytes($"/etc/netns/{Lab.DirectHostNamespace}/resolv.conf"), Is.EqualTo(resolvBefore), "resolv.conf restored byte for byte");
        Assert.That(tm.Curl(Lab.WhoamiUrl), Is.EqualTo(Lab.DirectHostAddress));
        Assert.That(tm.Status(), Is.Empty);
    }

    private static void WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail("timed out waiting");
            Thread.Sleep(50);
        }
    }
}
