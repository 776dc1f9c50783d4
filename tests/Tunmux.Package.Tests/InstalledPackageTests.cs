using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

/// <summary>
/// The package installed with dpkg into a throwaway root (see <see cref="ThrowawayRoot"/>) from
/// which the SDK's dotnet was removed, then upgraded, removed and purged, the way a person does it.
/// The steps build on each other, so they run in order.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class InstalledPackageTests
{
    private ThrowawayRoot? _root;
    private IReadOnlySet<string> _before = new HashSet<string>();
    private string _deb = "";

    private ThrowawayRoot Root => _root ?? throw new InvalidOperationException("no throwaway root");

    [OneTimeSetUp]
    public void MakeRoot()
    {
        Requires.Root("installs the package with dpkg into a throwaway root: an overlay of this machine's root in a mount namespace of its own");
        Requires.Command("unshare", "util-linux");
        _root = new ThrowawayRoot();
        _deb = Path.GetFileName(BuiltPackage.Deb);
        File.Copy(BuiltPackage.Deb, Path.Combine(Root.Packages, _deb));
        // Out of reach: the SDK's dotnet, wherever the host looks for one. A tunmux group of this machine
        // (other tests make one) is dropped inside, so that the package's own postinst makes it.
        var prepared = Root.Run("""
            set -e
            rm -rf /usr/share/dotnet /usr/lib/dotnet /usr/bin/dotnet /etc/dotnet /root/.dotnet /usr/local/bin/dotnet
            if getent group tunmux >/dev/null; then groupdel tunmux; fi
            useradd --create-home --shell /bin/sh tmxmember
            useradd --create-home --shell /bin/sh tmxplain
            ! command -v dotnet
            """);
        Assert.That(prepared.ExitCode, Is.Zero, "preparing the throwaway root: " + prepared);
        _before = Root.Changed();
    }

    [OneTimeTearDown]
    public void RemoveRoot() => _root?.Dispose();

    [Test, Order(1)]
    public void Dpkg_installs_it_and_postinst_creates_the_group_and_enables_the_socket()
    {
        var install = Root.Run($"dpkg -i /mnt/package/{_deb} && usermod -aG tunmux tmxmember");
        Assert.That(install.ExitCode, Is.Zero, "dpkg -i: " + install);
        var state = Root.Run("""
            getent group tunmux
            readlink /etc/systemd/system/sockets.target.wants/tunmux-privileged.socket
            stat -c '%a %U %G' /etc/sudoers.d/tunmux
            readlink -f /usr/bin/tunmux
            """);
        Assert.Multiple(() =>
        {
            Assert.That(install.Output, Does.Contain("created the group 'tunmux'"));
            Assert.That(state.Output, Does.Match(@"(?m)^tunmux:x:\d+:tmxmember$"));
            Assert.That(state.Output, Does.Contain("/lib/systemd/system/tunmux-privileged.socket"));
            Assert.That(state.Output, Does.Contain("440 root root"));
            Assert.That(state.Output, Does.Contain("/usr/lib/tunmux/tunmux"));
        });
    }

    [Test, Order(2)]
    public void The_installed_command_runs_with_no_dotnet_on_the_machine()
    {
        var result = Root.Run("""
            if command -v dotnet || [ -e /usr/share/dotnet ] || [ -n "${DOTNET_ROOT:-}" ]; then echo "a dotnet is in reach"; exit 9; fi
            tunmux --version
            """);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output.Trim(), Does.StartWith($"tunmux {BuiltPackage.Version}"));
    }

    [Test, Order(3)]
    public void The_installed_doctor_checks_the_machine_one_line_each_with_a_fix_for_each_problem()
    {
        var text = Root.Run("tunmux doctor");
        var json = Root.Run("tunmux doctor --json");
        TestContext.Out.WriteLine("tunmux doctor (root, in the throwaway root):\n" + text.Output + text.Error);
        var lines = text.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(text.ExitCode, Is.EqualTo(lines.Any(l => l.StartsWith("FAIL", StringComparison.Ordinal)) ? 1 : 0), text.ToString());
            Assert.That(text.Error, Is.Empty);
            foreach (var line in lines)
            {
                Assert.That(line, Does.Match(@"^(ok|warn|FAIL|skip) +[a-z:]+ +\S"), line);
                if (line.StartsWith("warn", StringComparison.Ordinal) || line.StartsWith("FAIL", StringComparison.Ordinal))
                    Assert.That(line, Does.Contain("; fix: "), line);
            }
            var names = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
            Assert.That(names, Is.SupersetOf(new[] { "wireguard", "tools", "tun", "daemon", "userns", "nftables", "config", "plugins", "clock", "session:proton", "session:airvpn" }));
            // The shipped plugins load on the runtime the package carries.
            Assert.That(lines.Single(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == "plugins"), Does.StartWith("ok").And.Contain("proton"));

            using var doc = JsonDocument.Parse(json.Output);
            Assert.That(json.ExitCode, Is.EqualTo(text.ExitCode));
            Assert.That(doc.RootElement.GetProperty("checks").GetArrayLength(), Is.EqualTo(lines.Length));
        });
    }

    [Test, Order(4)]
    public void The_installed_doctor_tells_a_member_that_sudo_starts_the_daemon_and_others_to_join_the_group()
    {
        const string AsUser = "setpriv --reuid={0} --regid={0} --init-groups env HOME=/home/{0} USER={0} LOGNAME={0} tunmux doctor --json";
        var member = Root.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, AsUser, "tmxmember"));
        var plain = Root.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, AsUser, "tmxplain"));
        TestContext.Out.WriteLine("member: " + member + "\nplain: " + plain);
        var memberDaemon = Check(member.Output, "daemon");
        var plainDaemon = Check(plain.Output, "daemon");
        Assert.Multiple(() =>
        {
            // The sudoers drop-in allows the very command the installed tunmux would run.
            Assert.That(memberDaemon.Status, Is.EqualTo("ok"), memberDaemon.ToString());
            Assert.That(memberDaemon.Detail, Does.Contain("started through sudo"));
            Assert.That(plainDaemon.Status, Is.EqualTo("fail"), plainDaemon.ToString());
            Assert.That(plainDaemon.Fix, Does.Contain("usermod -aG tunmux tmxplain"));
            Assert.That(plain.ExitCode, Is.EqualTo(1));
        });
    }

    [Test, Order(5)]
    public void Man_renders_the_installed_page_without_warnings_and_finds_it_by_name()
    {
        var page = Root.Run("MANWIDTH=100 man --warnings -l /usr/share/man/man1/tunmux.1.gz | col -b");
        var where = Root.Run("man -w tunmux");
        Assert.Multiple(() =>
        {
            Assert.That(page.ExitCode, Is.Zero, page.ToString());
            Assert.That(page.Error, Is.Empty, "groff warnings");
            Assert.That(page.Output, Does.Contain("NAME").And.Contain("SYNOPSIS").And.Contain("tunmux connect").Or.Contain("connect"));
            Assert.That(page.Output, Does.Contain("doctor").And.Contain("proton"));
            Assert.That(where.Output.Trim(), Is.EqualTo("/usr/share/man/man1/tunmux.1.gz"), where.ToString());
        });
    }

    [Test, Order(6)]
    public void The_installed_bash_completion_completes_providers_and_their_verbs()
    {
        var result = Root.Run("""
            bash -c '
              . /usr/share/bash-completion/completions/tunmux
              complete -p tunmux
              for line in "tunmux pro" "tunmux proton con"; do
                COMP_LINE=$line; COMP_POINT=${#line}; read -r -a COMP_WORDS <<< "$line"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                _tunmux; echo "[$line] ${COMPREPLY[*]}"
              done'
            """);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Output, Does.Contain("complete -F _tunmux tunmux"));
            Assert.That(result.Output, Does.Match(@"\[tunmux pro\] .*\bproton\b"));
            Assert.That(result.Output, Does.Match(@"\[tunmux proton con\] .*\bconnect\b"));
        });
    }

    [Test, Order(7)]
    public void An_upgrade_hands_the_running_daemon_over_to_the_new_version()
    {
        var upgraded = BuiltPackage.RepackAs(BuiltPackage.Version + "+upgrade1", Root.Packages);
        var result = Root.Run($$"""
            set -e
            setsid -f /usr/bin/tunmux privileged --serve --autostarted --authorized-group tunmux </dev/null >/dev/null 2>&1
            i=0
            until [ -S /run/tunmux/ctl.sock ] && [ -s /run/tunmux/daemon.lock ]; do
              i=$((i + 1)); [ $i -lt 300 ] || { echo "the daemon did not start"; exit 3; }; sleep 0.1
            done
            old=$(head -n 1 /run/tunmux/daemon.lock)
            echo "old=$old"
            dpkg -i /mnt/package/{{upgraded}}
            new=$(head -n 1 /run/tunmux/daemon.lock)
            echo "new=$new"
            if [ -d "/proc/$old" ]; then echo "old daemon still running"; fi
            echo "new exe=$(readlink /proc/$new/exe)"
            echo "new args=$(tr '\0' ' ' < /proc/$new/cmdline)"
            echo "version=$(dpkg-query -W -f='${Version}' tunmux)"
            """, timeoutMs: 10 * 60_000);
        TestContext.Out.WriteLine(result.ToString());
        var old = Regex.Match(result.Output, @"old=(\d+)").Groups[1].Value;
        var now = Regex.Match(result.Output, @"new=(\d+)").Groups[1].Value;
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Output, Does.Contain("the privileged daemon was restarted"));
            Assert.That(result.Output, Does.Not.Contain("old daemon still running"));
            Assert.That(now, Is.Not.Empty.And.Not.EqualTo(old));
            Assert.That(result.Output, Does.Contain("new exe=/usr/lib/tunmux/tunmux"));
            Assert.That(result.Output, Does.Contain("new args=/usr/bin/tunmux privileged --serve --autostarted --authorized-group tunmux").Or.Contain("new args=/usr/lib/tunmux/tunmux privileged --serve --autostarted --authorized-group tunmux"));
            Assert.That(result.Output, Does.Contain($"version={BuiltPackage.Version}+upgrade1"));
        });
        var stopped = Root.Run("""
            pid=$(head -n 1 /run/tunmux/daemon.lock); kill "$pid"
            i=0; while [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
            [ ! -d "/proc/$pid" ]
            """);
        Assert.That(stopped.ExitCode, Is.Zero, "the new daemon did not stop: " + stopped);
    }

    [Test, Order(8)]
    public void Removal_is_refused_while_an_exit_is_recorded_and_says_what_to_do()
    {
        var refused = Root.Run("""
            mkdir -p /var/lib/tunmux/tunnels && echo '{}' > /var/lib/tunmux/tunnels/us-1.json
            dpkg -r tunmux; echo "exit=$?"
            dpkg-query -W -f='${Status}\n' tunmux
            rm -r /var/lib/tunmux/tunnels
            """);
        Assert.Multiple(() =>
        {
            Assert.That(refused.Output, Does.Contain("exit=1"));
            Assert.That(refused.Output, Does.Contain("install ok installed"));
            Assert.That(refused.Error, Does.Contain("these exits are still up: us-1").And.Contain("tunmux disconnect --all"));
        });
    }

    [Test, Order(9)]
    public void Remove_then_purge_leave_nothing_of_the_package_behind()
    {
        var removed = Root.Run("dpkg -r tunmux && test ! -e /usr/lib/tunmux && test ! -e /usr/bin/tunmux && test -e /etc/sudoers.d/tunmux");
        Assert.That(removed.ExitCode, Is.Zero, "dpkg -r (and the conffiles stay until purge): " + removed);
        var purged = Root.Run("dpkg -P tunmux && ! getent group tunmux && ! dpkg-query -W tunmux 2>/dev/null");
        Assert.That(purged.ExitCode, Is.Zero, "dpkg -P: " + purged);

        // What is left in the overlay's writable layer besides what was there before the install:
        // dpkg's own records and logs, man-db's index, and shadow's files, whose content must be as before.
        // The daemon that ran during the upgrade wrote its log; purge keeps what postinst did not make, and says so.
        var left = Root.Changed().Except(_before)
            .Where(p => !p.StartsWith("/var/lib/dpkg/", StringComparison.Ordinal) && !p.StartsWith("/var/log/", StringComparison.Ordinal)
                        && !p.StartsWith("/var/cache/man/", StringComparison.Ordinal))
            .Where(p => !IsUnchangedAccountFile(p))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(left.Where(p => !p.StartsWith("/var/lib/tunmux/", StringComparison.Ordinal)), Is.Empty, "left behind after purge");
            Assert.That(left, Does.Contain("/var/lib/tunmux/daemon.log"));
            Assert.That(purged.Output, Does.Contain("kept /var/lib/tunmux (the daemon's log and records)"));
        });
    }

    /// <summary>/etc/group and friends were copied up when postinst added the group; purge must have put them back as they were.</summary>
    private bool IsUnchangedAccountFile(string path)
    {
        if (!AccountFile().IsMatch(path)) return false;
        var snapshot = Root.Run($"grep -c '^tunmux:' {path} || true");
        return snapshot.Output.Trim() == "0";
    }

    [GeneratedRegex(@"^/etc/(group|gshadow|passwd|shadow|subuid|subgid)-?$")]
    private static partial Regex AccountFile();

    private sealed record DoctorLine(string Status, string Detail, string? Fix);

    private static DoctorLine Check(string json, string name)
    {
        using var doc = JsonDocument.Parse(json);
        foreach (var check in doc.RootElement.GetProperty("checks").EnumerateArray())
        {
            if (check.GetProperty("name").GetString() != name) continue;
            var fix = check.GetProperty("fix");
            return new DoctorLine(check.GetProperty("status").GetString() ?? "", check.GetProperty("detail").GetString() ?? "",
                fix.ValueKind == JsonValueKind.String ? fix.GetString() : null);
        }
        throw new AssertionException($"no check '{name}' in: {json}");
    }
}
