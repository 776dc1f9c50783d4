using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

/// <summary>
/// Exits that are up while the package is upgraded: the old version's daemon runs two proxy exits to
/// the lab's VPN servers, <c>dpkg -i</c> installs a newer version, and the new daemon must carry on
/// with them (status, traffic through their proxies, disconnect) as if nothing had happened. The
/// throwaway root runs in the lab's host stand-in, so its exits reach the lab's servers and nothing else.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UpgradeAdoptionTests
{
    private Lab? _lab;
    private ThrowawayRoot? _root;
    private string _deb = "";
    private string _upgraded = "";

    private Lab Lab => _lab ?? throw new InvalidOperationException("the lab is not up");
    private ThrowawayRoot Root => _root ?? throw new InvalidOperationException("no throwaway root");

    [OneTimeSetUp]
    public void Prepare()
    {
        Requires.Root("installs the package into a throwaway root and brings exits up in the lab");
        Requires.Command("unshare", "util-linux");
        LabFixture.RequireLab();
        if (!File.Exists("/dev/net/tun")) Assert.Ignore("needs /dev/net/tun for wireguard-go");
        _lab = Lab.Up(servers: 2);
        _root = new ThrowawayRoot();
        _deb = Path.GetFileName(BuiltPackage.Deb);
        File.Copy(BuiltPackage.Deb, Path.Combine(Root.Packages, _deb));
        _upgraded = BuiltPackage.RepackAs(BuiltPackage.Version + "+upgrade2", Root.Packages);
        // wgconf names each exit after its file.
        File.WriteAllText(Path.Combine(Root.Packages, "up-one.conf"), Lab.ClientConf(1));
        File.WriteAllText(Path.Combine(Root.Packages, "up-two.conf"), Lab.ClientConf(2));
        var installed = Root.Run($"""
            set -e
            rm -rf /usr/share/dotnet /usr/lib/dotnet /usr/bin/dotnet /etc/dotnet /root/.dotnet /usr/local/bin/dotnet
            if getent group tunmux >/dev/null; then groupdel tunmux; fi
            dpkg -i /mnt/package/{_deb}
            """);
        Assert.That(installed.ExitCode, Is.Zero, "installing the old version: " + installed);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        // The root first: its processes (daemon, wireguard-go, proxies) end before the servers they talk to.
        try
        {
            _root?.Dispose();
        }
        finally
        {
            _lab?.Dispose();
        }
    }

    [Test]
    public void Exits_up_during_an_upgrade_are_adopted_by_the_new_daemon_used_and_taken_down_by_it()
    {
        // One mount namespace for the whole story: the exits' network namespaces are mounted in it, and the
        // daemons (the old one started here, the new one by the upgrade's postinst) run in it.
        var result = Root.Run($$"""
            set -u
            setsid -f /usr/bin/tunmux privileged --serve --autostarted --authorized-group tunmux </dev/null >/dev/null 2>&1
            i=0
            until [ -S /run/tunmux/ctl.sock ] && [ -s /run/tunmux/daemon.lock ]; do
              i=$((i + 1)); [ $i -lt 300 ] || { echo "the daemon did not start"; exit 3; }; sleep 0.1
            done
            trap 'tunmux disconnect --all >/dev/null 2>&1' EXIT
            tunmux wgconf connect --proxy --file /mnt/package/up-one.conf || exit 4
            tunmux wgconf connect --proxy --file /mnt/package/up-two.conf || exit 4
            old=$(head -n 1 /run/tunmux/daemon.lock)
            echo "=== upgrade"
            dpkg -i /mnt/package/{{_upgraded}} || exit 5
            new=$(head -n 1 /run/tunmux/daemon.lock)
            echo "old=$old new=$new"
            [ -d "/proc/$old" ] && echo "old daemon still running"
            echo "new exe=$(readlink /proc/$new/exe)"
            echo "=== status"
            tunmux status --json
            echo "=== one"
            curl -sS -m 8 --socks5-hostname 127.0.0.1:1080 {{Lab.WhoamiByName}}; echo
            curl -sS -m 8 -x http://127.0.0.1:8118 {{Lab.WhoamiByName}}; echo
            echo "=== two"
            curl -sS -m 8 --socks5-hostname 127.0.0.1:1081 {{Lab.WhoamiByName}}; echo
            curl -sS -m 8 -x http://127.0.0.1:8119 {{Lab.WhoamiByName}}; echo
            echo "=== disconnect"
            tunmux disconnect --all; echo "exit=$?"
            echo "=== left"
            ip netns list | grep tunmux_
            ls /var/lib/tunmux/tunnels/ 2>/dev/null
            ip -brief link | grep 'wg-'
            echo "=== end"
            """, timeoutMs: 10 * 60_000, networkNamespace: Lab.HostNamespace);
        TestContext.Out.WriteLine(result.ToString());
        var sections = Sections(result.Output);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(sections.Keys, Does.Contain("end"), result.ToString());

        var daemons = Regex.Match(sections["upgrade"], @"old=(\d+) new=(\d+)");
        Assert.Multiple(() =>
        {
            Assert.That(sections["upgrade"], Does.Contain("the privileged daemon was restarted").And.Contain("running exits were kept"));
            Assert.That(daemons.Success && daemons.Groups[1].Value != daemons.Groups[2].Value, Is.True, "a new daemon runs: " + sections["upgrade"]);
            Assert.That(sections["upgrade"], Does.Not.Contain("old daemon still running"));
            Assert.That(sections["upgrade"], Does.Contain("new exe=/usr/lib/tunmux/tunmux\n").Or.EndWith("new exe=/usr/lib/tunmux/tunmux"),
                "the new daemon runs the new file, not the deleted old one");
        });

        using var status = JsonDocument.Parse(sections["status"]);
        var connections = status.RootElement.GetProperty("connections").EnumerateArray().ToList();
        Assert.That(connections.Select(c => c.GetProperty("instance").GetString()), Is.EquivalentTo(new[] { "up-one", "up-two" }), sections["status"]);
        foreach (var c in connections)
            Assert.That(c.GetProperty("alive").GetBoolean(), Is.True, "alive after the upgrade: " + c);

        Assert.Multiple(() =>
        {
            Assert.That(Lines(sections["one"]), Is.EqualTo(new[] { Lab.ExitAddress(1), Lab.ExitAddress(1) }), "SOCKS5 and HTTP of up-one leave through server 1");
            Assert.That(Lines(sections["two"]), Is.EqualTo(new[] { Lab.ExitAddress(2), Lab.ExitAddress(2) }), "SOCKS5 and HTTP of up-two leave through server 2");
            Assert.That(sections["disconnect"], Does.Contain("exit=0"), "disconnect through the new version");
            Assert.That(Lines(sections["left"]), Is.Empty, "namespaces, records or WireGuard links left behind");
            Assert.That(Root.ProcessesInside().Where(p => !p.CommandLine.Contains("privileged\0--serve", StringComparison.Ordinal)), Is.Empty,
                "processes of the exits (wireguard-go, proxies) left running");
        });
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The script's output cut at its <c>=== name</c> lines.</summary>
    private static Dictionary<string, string> Sections(string output)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var text = new System.Text.StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("=== ", StringComparison.Ordinal))
            {
                if (name is not null) sections[name] = text.ToString();
                name = line[4..].Trim();
                text.Clear();
            }
            else if (name is not null)
            {
                text.Append(line).Append('\n');
            }
        }
        if (name is not null) sections[name] = text.ToString();
        return sections;
    }
}
