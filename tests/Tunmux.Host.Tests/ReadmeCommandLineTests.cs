using NUnit.Framework;

namespace Tunmux.Host.Tests;

/// <summary>Every command line of the original tool's README parses to the intended command.</summary>
[TestFixture]
public sealed class ReadmeCommandLineTests
{
    private CliHarness _cli = null!;

    [OneTimeSetUp]
    public void SetUp() => _cli = new CliHarness("proton", "airvpn");

    [OneTimeTearDown]
    public void TearDown() => _cli.Dispose();

    private static readonly object[] Lines =
    [
        new object[] { "status", "status" },
        new object[] { "proton login alice", "proton login" },
        new object[] { "proton info", "proton info" },
        new object[] { "proton servers --country US --free", "proton servers" },
        new object[] { "proton connect --country CH --p2p --backend auto", "proton connect" },
        new object[] { "proton connect US#1", "proton connect" },
        new object[] { "proton disconnect", "proton disconnect" },
        new object[] { "proton logout", "proton logout" },
        new object[] { "proton connect --proxy --country US", "proton connect" },
        new object[] { "proton connect --proxy --country CH", "proton connect" },
        new object[] { "proton connect --proxy --country JP --socks-port 9050 --http-port 3128", "proton connect" },
        new object[] { "proton connect --proxy --proxy-access-log --country US", "proton connect" },
        new object[] { "proton disconnect us-1", "proton disconnect" },
        new object[] { "proton disconnect --all", "proton disconnect" },
        new object[] { "airvpn login alice", "airvpn login" },
        new object[] { "airvpn info", "airvpn info" },
        new object[] { "airvpn servers --country NL", "airvpn servers" },
        new object[] { "airvpn connect --country DE --key my~device", "airvpn connect" },
        new object[] { "airvpn connect Castor", "airvpn connect" },
        new object[] { "airvpn disconnect", "airvpn disconnect" },
        new object[] { "airvpn sessions", "airvpn sessions" },
        new object[] { "airvpn ports list", "airvpn ports list" },
        new object[] { "airvpn ports add 8080 --protocol tcp --ddns myhost", "airvpn ports add" },
        new object[] { "airvpn ports info 8080", "airvpn ports info" },
        new object[] { "airvpn ports check 8080", "airvpn ports check" },
        new object[] { "airvpn ports set 8080 --local 9090", "airvpn ports set" },
        new object[] { "airvpn ports remove 8080", "airvpn ports remove" },
        new object[] { "airvpn devices list", "airvpn devices list" },
        new object[] { "airvpn devices add --name laptop", "airvpn devices add" },
        new object[] { "airvpn devices rename laptop desktop", "airvpn devices rename" },
        new object[] { "airvpn devices delete old-device", "airvpn devices delete" },
        new object[] { "airvpn api list", "airvpn api list" },
        new object[] { "airvpn api add --name scripts", "airvpn api add" },
        new object[] { "airvpn api rename scripts deploy", "airvpn api rename" },
        new object[] { "airvpn api delete old-key", "airvpn api delete" },
        new object[] { "airvpn generate -s nl -s be -p wg-1637 -o config.conf", "airvpn generate" },
        new object[] { "airvpn logout", "airvpn logout" },
        new object[] { "airvpn connect --proxy --country IT", "airvpn connect" },
        new object[] { "airvpn connect --proxy Castor --socks-port 9060 --http-port 3129", "airvpn connect" },
        new object[] { "airvpn connect --proxy --proxy-access-log --country NL", "airvpn connect" },
        new object[] { "airvpn disconnect castor", "airvpn disconnect" },
        new object[] { "airvpn disconnect --all", "airvpn disconnect" },
        new object[] { "-v proton info", "proton info" },
        new object[] { "-v airvpn servers --country NL", "airvpn servers" },
        new object[] { "privileged --serve --autostarted --authorized-group tunmux --idle-timeout-ms 30000", "privileged" },
        new object[] { "privileged --serve --autostarted --authorized-group tunmux", "privileged" },
        new object[] { "privileged --serve --authorized-group tunmux", "privileged" },
        new object[] { "privileged --serve --stdio --autostarted --authorized-group tunmux", "privileged" },
        new object[] { "connect proton --country CH --backend wg-quick", "proton connect" },
        new object[] { "disconnect --provider proton", "disconnect" },
        new object[] { "disconnect --all", "disconnect" },
        new object[] { "disconnect -p proton -a", "disconnect" },
        new object[] { "disconnect us-1", "disconnect" },
        new object[] { "proton connect FR#183 --mtu 1280", "proton connect" },
        new object[] { "plugins --json", "plugins" },
        // Lifecycle commands of this README (not in the original tool's, except renew).
        new object[] { "proton renew", "proton refresh" },
        new object[] { "proton refresh --force", "proton refresh" },
        new object[] { "airvpn refresh", "airvpn refresh" },
        new object[] { "proton logout --force", "proton logout" },
        new object[] { "proton login alice --hv-token 0a1b2c --hv-type captcha", "proton login" },
        new object[] { "proton certificates", "proton certificates list" },
        new object[] { "proton certificates --json", "proton certificates list" },
        new object[] { "proton certificates revoke 1f2e3d", "proton certificates revoke" },
        new object[] { "proton features --netshield 1 --port-forward on --moderate-nat off --vpn-accelerator on", "proton features" },
        new object[] { "proton connect --proxy --country NL --port-forward", "proton connect" },
        new object[] { "proton servers --country US --sort latency", "proton servers" },
        new object[] { "proton connect -s latency -c CH", "proton connect" },
        new object[] { "airvpn connect --port 47107 --sort load", "airvpn connect" },
        new object[] { "airvpn generate -s nl -p openvpn-ssl-443 --entry ipv6 --exit ipv4 --mtu 1280 --keepalive 25 --format tar.gz -o out.tgz", "airvpn generate" },
        new object[] { "status --json", "status" },
        new object[] { "proton connect --proxy --country US --no-failover", "proton connect" },
        new object[] { "wg us-1", "wg" },
        new object[] { "wg", "wg" },
        new object[] { "status --json --check", "status" },
    ];

    [TestCaseSource(nameof(Lines))]
    public void Parses(string line, string expected)
    {
        // '~' joins words that the README quotes into one argument ("my device").
        var args = line.Split(' ').Select(a => a.Replace('~', ' ')).ToArray();
        var code = _cli.Parse(args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, _cli.Err);
            Assert.That(_cli.Parsed, Is.EqualTo(expected));
        });
    }

    [TestCase("bogus", "unknown command 'bogus'")]
    [TestCase("status --bogus", "unknown flag '--bogus'")]
    [TestCase("proton connect --bogus", "unknown flag '--bogus'")]
    [TestCase("proton frobnicate", "unknown command 'frobnicate'")]
    [TestCase("proton connect --socks-port 70000 --proxy", "expected an integer from 1 to 65535")]
    [TestCase("proton connect --backend nope", "allowed: auto, wg-quick, userspace, kernel")]
    [TestCase("proton connect --country", "needs a value")]
    [TestCase("proton login", "missing argument <username>")]
    [TestCase("--nope status", "unknown flag '--nope'")]
    [TestCase("airvpn ports set 70000 --local 80", "must be an integer from 1 to 65535")]
    [TestCase("airvpn ports add 70000", "must be an integer from 0 to 65535")]
    [TestCase("airvpn ports add", "missing argument <port>")]
    [TestCase("airvpn ports add 8080 extra", "unexpected argument 'extra'")]
    [TestCase("proton servers --sort fastest", "allowed: score, load, name, latency")]
    [TestCase("proton servers -t p2p,onion", "allowed: secure-core, tor, p2p, streaming, ipv6")]
    [TestCase("proton connect --proxy=yes", "takes no value")]
    [TestCase("proton connect --mtu", "needs a value")]
    [TestCase("proton connect -c US -c CH", "given twice")]
    [TestCase("airvpn generate -p wg", "missing flag '--server'")]
    [TestCase("airvpn generate -s nl --format rar", "allowed: zip, tar, tar.gz")]
    [TestCase("airvpn generate -s nl --keepalive -1", "expected an integer from 0 to 65535")]
    [TestCase("airvpn api-keys frobnicate", "unknown command 'frobnicate'")]
    [TestCase("privileged --serve --idle-timeout-ms 0", "expected an integer from 1 to 86400000")]
    [TestCase("airvpn ports add 8080 --protocol sctp", "allowed: tcp, udp, both")]
    public void BadCommandLinesExitTwoWithOneErrorLine(string line, string expected)
    {
        var code = _cli.Parse(line.Split(' '));
        var lines = _cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(lines[0], Does.StartWith("error: ").And.Contain(expected));
            Assert.That(lines, Has.Length.EqualTo(2), "one error line, then the usage line");
            Assert.That(lines[1], Does.StartWith("usage: "));
        });
    }

    [TestCase("--help")]
    [TestCase("proton --help")]
    [TestCase("proton connect --help")]
    [TestCase("airvpn ports --help")]
    [TestCase("airvpn ports add --help")]
    [TestCase("status --help")]
    [TestCase("disconnect --help")]
    [TestCase("privileged --help")]
    public void HelpAtEveryLevel(string line)
    {
        var code = _cli.Run(line.Split(' '));
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, _cli.Err);
            Assert.That(_cli.Out, Does.Contain("usage: tunmux"));
            Assert.That(_cli.Out, Does.Contain("--help"));
        });
    }

    [Test]
    public void TopLevelHelpListsCommandsAndProviders()
    {
        _cli.Run("--help");
        Assert.That(_cli.Out, Does.Contain("status").And.Contain("disconnect").And.Contain("proton").And.Contain("airvpn"));
    }

    [Test]
    public void VersionPrintsVersionAndPluginApi()
    {
        Assert.That(_cli.Run("--version"), Is.Zero);
        Assert.That(_cli.Out, Does.Match(@"^tunmux \d+\.\d+\.\d+ \(plugin API 2\.\d+\)"));
    }
}
