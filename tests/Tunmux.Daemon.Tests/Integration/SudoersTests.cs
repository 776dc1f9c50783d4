using System.Diagnostics;
using NUnit.Framework;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>The sudoers lines and systemd units docs/privileged.md documents, checked as written.</summary>
[NonParallelizable]
public class SudoersTests
{
    /// <summary>Whether sudo would run this command line for <paramref name="user"/> without a password (sudo -n -l).</summary>
    private static bool Allowed(string user, params string[] command)
    {
        var psi = new ProcessStartInfo("setpriv", ["--reuid", user, "--regid", TestAccounts.PrimaryGroupName(user), "--init-groups",
            "sudo", "-n", "-l", .. command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    [Test]
    public void The_documented_lines_allow_the_daemon_and_refuse_appended_words()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        TestAccounts.AllowSudo(sandbox.Wrapper);
        try
        {
            var g = TestAccounts.Group;
            var m = TestAccounts.Member;
            string[] serve = [sandbox.Wrapper, "privileged", "--serve", "--autostarted", "--authorized-group", g];
            Assert.Multiple(() =>
            {
                Assert.That(Allowed(m, serve), Is.True, "the autostart line");
                Assert.That(Allowed(m, [.. serve, "--idle-timeout-ms", "30000"]), Is.True, "with a timeout");
                Assert.That(Allowed(m, [sandbox.Wrapper, "privileged", "--serve", "--stdio", "--autostarted", "--authorized-group", g]), Is.True);
                Assert.That(Allowed(m, [.. serve, "--idle-timeout-ms", "1", "--authorized-group", "users"]), Is.False,
                    "words appended after the timeout (another group to trust)");
                Assert.That(Allowed(m, [.. serve, "--idle-timeout-ms", "1 --stdio"]), Is.False);
                Assert.That(Allowed(m, [.. serve, "--idle-timeout-ms", "x"]), Is.False);
                Assert.That(Allowed(m, [.. serve, "--authorized-group", "users"]), Is.False);
            });
        }
        finally
        {
            TestAccounts.RevokeSudo();
        }
    }

    [Test]
    public void The_unit_leaves_wireguard_and_resolvconf_writable_and_shares_no_cap_among_proxies()
    {
        var unit = File.ReadAllText(Path.Combine(RepoRoot(), "build", "systemd", "tunmux-privileged.service"));
        var writable = unit.Split('\n').Where(l => l.StartsWith("ReadWritePaths=", StringComparison.Ordinal))
            .SelectMany(l => l["ReadWritePaths=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(unit, Does.Contain("ProtectSystem=strict"));
            foreach (var path in new[] { "/run/wireguard", "/run/resolvconf", "/etc/resolvconf/run", "/run/netns", "/etc/netns", "/var/lib/tunmux", "/run/tunmux" })
                Assert.That(writable, Has.Some.EqualTo(path).Or.Some.EqualTo("-" + path), path);
            // Every proxy runs in the service's control group: a shared cap would let one starve the others.
            Assert.That(unit, Does.Not.Match(@"(?m)^MemoryMax="));
            Assert.That(unit, Does.Match(@"(?m)^TasksMax=(infinity|\d{5,})"));
        });
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tunmux.sln"))) return dir.FullName;
        throw new FileNotFoundException("tunmux.sln not found above " + AppContext.BaseDirectory);
    }
}
