using NUnit.Framework;

namespace Tunmux.Host.Tests;

/// <summary>
/// Command lines of the original tool's later versions (short flags, aliases, <c>-v</c> anywhere), so
/// scripts moved from it keep working; and the shape of help and usage errors at every level.
/// </summary>
[TestFixture]
public sealed class LaterCommandLineTests
{
    private CliHarness _cli = null!;

    [OneTimeSetUp]
    public void SetUp() => _cli = new CliHarness("proton", "airvpn", "wgconf");

    [OneTimeTearDown]
    public void TearDown() => _cli.Dispose();

    [TestCase("proton servers -c US", "proton servers")]
    [TestCase("proton servers -c US -f", "proton servers")]
    [TestCase("proton servers --free --country US", "proton servers")]
    [TestCase("proton servers -s load", "proton servers")]
    [TestCase("proton servers --sort latency -c CH", "proton servers")]
    [TestCase("proton servers -t secure-core,tor,p2p,streaming,ipv6", "proton servers")]
    [TestCase("proton servers --tag p2p -t tor", "proton servers")]
    [TestCase("proton connect -c CH -b kernel", "proton connect")]
    [TestCase("proton connect -s score --p2p", "proton connect")]
    [TestCase("proton connect --country US --sort load --backend userspace --proxy", "proton connect")]
    [TestCase("airvpn servers -c NL -s name -t castor", "airvpn servers")]
    [TestCase("airvpn connect -k laptop", "airvpn connect")]
    [TestCase("airvpn connect -c DE -k my~device -b wg-quick", "airvpn connect")]
    [TestCase("airvpn connect --key laptop --sort latency", "airvpn connect")]
    [TestCase("airvpn ports add 8080 -p tcp -l 9090 -d myhost", "airvpn ports add")]
    [TestCase("airvpn ports add 0", "airvpn ports add")]
    [TestCase("airvpn ports add 0 --protocol udp", "airvpn ports add")]
    [TestCase("airvpn ports set 8080 -p udp -l 9091 -d otherhost", "airvpn ports set")]
    [TestCase("airvpn ports edit 8080 --local 9090", "airvpn ports set")]
    [TestCase("airvpn ports edit 8080 -p both", "airvpn ports set")]
    [TestCase("airvpn devices add -n laptop", "airvpn devices add")]
    [TestCase("airvpn api add -n scripts", "airvpn api add")]
    [TestCase("airvpn api-keys list", "airvpn api list")]
    [TestCase("airvpn api-keys add -n scripts", "airvpn api add")]
    [TestCase("airvpn api-keys rename scripts deploy", "airvpn api rename")]
    [TestCase("airvpn api-keys delete old-key", "airvpn api delete")]
    [TestCase("airvpn generate -s nl -d laptop", "airvpn generate")]
    [TestCase("airvpn generate -s nl --device laptop --entry ipv6 --exit both --mtu 1280 --keepalive 25", "airvpn generate")]
    [TestCase("airvpn generate -s nl -s be -p wg-1637 -f tar.gz -o configs.tar.gz", "airvpn generate")]
    [TestCase("airvpn generate -s nl -s be --format zip", "airvpn generate")]
    [TestCase("airvpn generate -s nl -s be --format tar", "airvpn generate")]
    [TestCase("proton -v servers -c US", "proton servers")]
    [TestCase("proton servers -v -c US", "proton servers")]
    [TestCase("proton servers -c US -v", "proton servers")]
    [TestCase("airvpn ports -v add 8080", "airvpn ports add")]
    [TestCase("airvpn ports add 8080 --verbose", "airvpn ports add")]
    [TestCase("status -v", "status")]
    [TestCase("disconnect -a -v", "disconnect")]
    [TestCase("connect proton -v -c CH", "proton connect")]
    [TestCase("proton certificates", "proton certificates list")]
    [TestCase("proton certificates --json", "proton certificates list")]
    [TestCase("proton certificates revoke 0123abcd", "proton certificates revoke")]
    [TestCase("proton features --netshield 2 --port-forward on", "proton features")]
    [TestCase("proton connect --port-forward -c US", "proton connect")]
    [TestCase("proton login alice --hv-token abc --hv-type email", "proton login")]
    [TestCase("airvpn connect Castor --port 47107", "airvpn connect")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --proxy", "wgconf connect")]
    [TestCase("wgconf save -f ./my-tunnel.conf -n office", "wgconf save")]
    [TestCase("proton connect -c CH --kill-switch --allow-lan", "proton connect")]
    [TestCase("airvpn connect Castor --kill-switch --disable-ipv6", "airvpn connect")]
    [TestCase("connect wgconf -f ./my-tunnel.conf --disable-ipv6", "wgconf connect")]
    [TestCase("proton connect -c CH --no-kill-switch", "proton connect")]
    [TestCase("connect wgconf -f ./my-tunnel.conf --no-kill-switch --disable-ipv6", "wgconf connect")]
    [TestCase("lockdown on", "lockdown")]
    [TestCase("lockdown on --allow-lan", "lockdown")]
    [TestCase("lockdown off", "lockdown")]
    [TestCase("lockdown --json", "lockdown")]
    public void Parses(string line, string expected)
    {
        var code = _cli.Parse(Words(line));
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, _cli.Err);
            Assert.That(_cli.Parsed, Is.EqualTo(expected));
        });
    }

    [TestCase("proton servers --help", "usage: tunmux proton servers [flags]")]
    [TestCase("airvpn ports add --help", "usage: tunmux airvpn ports add [flags] <port>")]
    [TestCase("airvpn ports edit --help", "usage: tunmux airvpn ports set [flags] <port>")]
    [TestCase("airvpn generate --help", "usage: tunmux airvpn generate [flags]")]
    [TestCase("wgconf connect --help", "usage: tunmux wgconf connect [flags] [server]")]
    public void VerbHelpIsCompact(string line, string usage)
    {
        Assert.That(_cli.Run(Words(line)), Is.Zero, _cli.Err);
        var lines = _cli.Out.Split('\n');
        var flags = lines.Where(l => l.TrimStart().StartsWith('-')).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.Not.Empty.And.Not.StartWith("tunmux "), "a one-line description, no banner");
            Assert.That(lines[1], Is.Empty);
            Assert.That(lines[2], Is.EqualTo(usage));
            Assert.That(_cli.Out, Does.Not.Contain("Copyright").And.Not.Contain("(pos."));
            Assert.That(lines.Skip(3).Where(l => l.Length > 0), Has.All.StartWith("  "), "one indented line per flag or argument");
            Assert.That(flags, Has.Some.Contains("--help"));
            Assert.That(lines.SkipLast(1).Count(l => l.Length == 0), Is.EqualTo(2), "blank lines after the description and the usage only");
        });
    }

    [Test]
    public void AddHelpNamesItsFlagsAndArgument()
    {
        _cli.Run("airvpn", "ports", "add", "--help");
        Assert.That(_cli.Out, Does.Contain("-p PROTO, --protocol=PROTO").And.Contain("-l PORT, --local=PORT")
            .And.Contain("-d NAME, --ddns=NAME").And.Contain("<port>"));
    }

    [TestCase("airvpn ports --help", "usage: tunmux airvpn ports <command> [flags]", "add")]
    [TestCase("airvpn api-keys --help", "usage: tunmux airvpn api <command> [flags]", "rename")]
    [TestCase("proton --help", "usage: tunmux proton <command> [flags]", "servers")]
    public void GroupHelpListsItsCommands(string line, string usage, string command)
    {
        Assert.That(_cli.Run(Words(line)), Is.Zero, _cli.Err);
        var lines = _cli.Out.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines[2], Is.EqualTo(usage));
            Assert.That(lines, Has.Some.Match($@"^  {command}\b"));
            Assert.That(_cli.Out, Does.Not.Contain("--" + command), "commands are words, not flags");
        });
    }

    [Test]
    public void GroupWithoutCommandShowsItsHelpOnStandardErrorAndExitsTwo()
    {
        Assert.That(_cli.Run("airvpn", "ports"), Is.EqualTo(2));
        Assert.That(_cli.Err, Does.Contain("usage: tunmux airvpn ports <command> [flags]"));
    }

    [TestCase("wgconf connect -f ./my-tunnel.conf --proxy --kill-switch", "are for direct mode")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --proxy --disable-ipv6", "are for direct mode")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --allow-lan", "--allow-lan goes with the kill switch")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --proxy --no-kill-switch", "are for direct mode")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --kill-switch --no-kill-switch", "contradict each other")]
    [TestCase("wgconf connect -f ./my-tunnel.conf --no-kill-switch --allow-lan", "--allow-lan goes with the kill switch")]
    [TestCase("lockdown off --allow-lan", "--allow-lan goes with 'lockdown on'")]
    [TestCase("lockdown maybe", "argument <on|off> got 'maybe'; allowed: on, off")]
    public void FirewallFlagsThatMakeNoSenseAreOneUsageError(string line, string message)
    {
        Assert.That(_cli.Run(Words(line)), Is.EqualTo(2), _cli.Err);
        var lines = _cli.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(message));
    }

    private static string[] Words(string line) => line.Split(' ').Select(a => a.Replace('~', ' ')).ToArray();
}
