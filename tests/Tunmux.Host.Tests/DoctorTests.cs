using System.Text.Json;
using NUnit.Framework;
using Tunmux.Host.Config;
using Tunmux.Host.Doctor;
using Tunmux.Host.Output;
using Tunmux.Host.Plugins;
using Tunmux.Host.Privileged;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>
/// <c>tunmux doctor</c> on simulated machines: a test root holds the files and programs a check looks at
/// (proc/sys, sys/module, lib/modules, dev/net/tun, etc/group, usr/bin with small scripts standing in
/// for sudo and the tools), and the user, the clock and the daemon's answer are given. Each
/// prerequisite is taken away in turn: its check fails (or warns) and names the fix.
/// </summary>
[TestFixture]
public sealed class DoctorTests
{
    private const uint Alice = 1000;
    private const uint TunmuxGid = 990;

    private TempDir _root = null!;
    private CliHarness _cli = null!;

    [SetUp]
    public void SetUp()
    {
        _root = new TempDir("tunmux-doctor-root-");
        _cli = new CliHarness("testgood");
        WellEquipped();
    }

    [TearDown]
    public void TearDown()
    {
        _cli.Dispose();
        _root.Dispose();
    }

    /// <summary>A machine with everything: the kernel module, the tools, a usable TUN device, alice in the group, sudo allowing the daemon.</summary>
    private void WellEquipped()
    {
        Dir("sys/module/wireguard");
        File("proc/sys/kernel/osrelease", "6.1.0-test");
        File("proc/sys/kernel/unprivileged_userns_clone", "1");
        File("proc/sys/user/max_user_namespaces", "63000");
        foreach (var tool in new[] { "ip", "wg", "setpriv", "nsenter", "unshare", "nft", "pasta", "wireguard-go" }) Tool(tool, "exit 0");
        Tool("sudo", "exit 0");
        File("dev/net/tun", "", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        File("etc/group", $"root:x:0:\nalice:x:{Alice}:\ntunmux:x:{TunmuxGid}:alice\n");
        File("etc/passwd", $"root:x:0:0::/root:/bin/sh\nalice:x:{Alice}:{Alice}::/home/alice:/bin/sh\n");
    }

    private Machine NewMachine(DaemonState daemon = DaemonState.NotRunning, uint uid = Alice, IReadOnlyList<uint>? groups = null,
        DateTimeOffset? now = null, bool? synchronized = true, string version = "") => new()
    {
        Root = _root.Path,
        Uid = uid,
        UserName = uid == 0 ? "root" : "alice",
        ProcessGroups = groups ?? [Alice, TunmuxGid],
        Now = () => now ?? new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero),
        NotBefore = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        ClockSynchronized = () => synchronized,
        ProbeDaemon = (_, _) => Task.FromResult(new DaemonProbe(daemon,
            daemon == DaemonState.Reachable ? (version.Length > 0 ? version : Cli.CliApp.Version) : null,
            daemon == DaemonState.Denied ? "authorization denied by privileged daemon" : null)),
        DaemonExecutable = "/usr/lib/tunmux/tunmux",
    };

    private void File(string relative, string text, UnixFileMode? mode = null)
    {
        var path = _root.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        if (mode is { } m) System.IO.File.SetUnixFileMode(path, m);
    }

    private void Dir(string relative) => Directory.CreateDirectory(_root.Combine(relative));

    private void Delete(string relative)
    {
        var path = _root.Combine(relative);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else System.IO.File.Delete(path);
    }

    /// <summary>A program in usr/bin: a shell script with this body.</summary>
    private void Tool(string name, string body) =>
        File("usr/bin/" + name, "#!/bin/sh\n" + body + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

    private (int Code, List<CheckResult> Checks, string Text) Doctor(Machine machine)
    {
        var output = new StringWriter();
        var console = new ConsoleIO(output, new StringWriter(), new StringReader(""), interactive: false);
        var command = new DoctorCommand(_cli.Paths, new PluginCatalog(_cli.Paths.PluginDirs), console, machine);
        var code = command.RunAsync(json: true, CancellationToken.None).GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(output.ToString());
        var checks = doc.RootElement.GetProperty("checks").EnumerateArray().Select(c => new CheckResult(
            c.GetProperty("name").GetString()!,
            Enum.Parse<CheckStatus>(c.GetProperty("status").GetString()!, ignoreCase: true),
            c.GetProperty("detail").GetString()!,
            c.GetProperty("fix").GetString())).ToList();
        Assert.That(doc.RootElement.GetProperty("ok").GetBoolean(), Is.EqualTo(code == 0));
        var text = new StringWriter();
        var textCode = new DoctorCommand(_cli.Paths, new PluginCatalog(_cli.Paths.PluginDirs),
            new ConsoleIO(text, new StringWriter(), new StringReader(""), false), machine).RunAsync(json: false, CancellationToken.None).GetAwaiter().GetResult();
        Assert.That(textCode, Is.EqualTo(code), "--json and text agree on the exit code");
        return (code, checks, text.ToString());
    }

    private CheckResult Check(Machine machine, string name) => Doctor(machine).Checks.Single(c => c.Name == name);

    private static void AssertFails(CheckResult check, string fixContains, CheckStatus status = CheckStatus.Fail)
    {
        Assert.That(check.Status, Is.EqualTo(status), check.ToString());
        Assert.That(check.Fix, Does.Contain(fixContains), check.ToString());
    }

    [Test]
    public void A_well_equipped_machine_passes_every_check_one_line_each_and_exits_0()
    {
        var (code, checks, text) = Doctor(NewMachine());
        Assert.That(code, Is.Zero, text);
        Assert.That(checks.Select(c => c.Name), Is.EquivalentTo(new[]
        {
            "wireguard", "tools", "tun", "daemon", "userns", "nftables", "config", "plugins", "session:testgood", "clock",
        }));
        Assert.That(checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Warn), Is.Empty, text);
        Assert.That(text.TrimEnd().Split('\n'), Has.Length.EqualTo(checks.Count), "one line per check");
        Assert.That(text, Does.Contain("daemon").And.Contain("sudoers allows /usr/lib/tunmux/tunmux privileged --serve --autostarted --authorized-group tunmux"));
    }

    [Test]
    public void WireGuard_module_available_or_userspace_instead_and_neither()
    {
        Delete("sys/module/wireguard");
        File("lib/modules/6.1.0-test/modules.dep", "kernel/drivers/net/wireguard/wireguard.ko.xz: kernel/lib/crypto/libchacha20poly1305.ko.xz\n");
        Assert.That(Check(NewMachine(), "wireguard").Detail, Does.Contain("available"));
        Delete("lib/modules");
        Assert.That(Check(NewMachine(), "wireguard").Detail, Does.Contain("wireguard-go is used"));
        Delete("usr/bin/wireguard-go");
        Tool("boringtun", "exit 0");
        Assert.That(Check(NewMachine(), "wireguard").Detail, Does.Contain("boringtun is used"));
        Delete("usr/bin/boringtun");
        var (code, checks, _) = Doctor(NewMachine());
        AssertFails(checks.Single(c => c.Name == "wireguard"), "apt install wireguard-go");
        Assert.That(code, Is.EqualTo(1));
    }

    [Test]
    public void Missing_tools_are_named_with_their_packages()
    {
        Delete("usr/bin/wg");
        Delete("usr/bin/nsenter");
        var check = Check(NewMachine(), "tools");
        AssertFails(check, "apt install wireguard-tools util-linux");
        Assert.That(check.Detail, Does.Contain("wg (wireguard-tools)").And.Contain("nsenter (util-linux)"));
    }

    [Test]
    public void Tun_device_missing_or_not_usable_by_this_user()
    {
        System.IO.File.SetUnixFileMode(_root.Combine("dev/net/tun"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AssertFails(Check(NewMachine(), "tun"), "chmod 0666 /dev/net/tun");
        Assert.That(Check(NewMachine(uid: 0), "tun").Status, Is.EqualTo(CheckStatus.Ok), "root opens it whatever its mode");
        Delete("dev/net/tun");
        AssertFails(Check(NewMachine(), "tun"), "modprobe tun");
    }

    [Test]
    public void Daemon_running_refusing_or_of_another_version()
    {
        Assert.That(Check(NewMachine(DaemonState.Reachable), "daemon").Status, Is.EqualTo(CheckStatus.Ok));
        AssertFails(Check(NewMachine(DaemonState.Reachable, version: "0.0.1"), "daemon"), "restart", CheckStatus.Warn);
        AssertFails(Check(NewMachine(DaemonState.Denied, groups: [Alice]), "daemon"), "newgrp tunmux");
        AssertFails(Check(NewMachine(DaemonState.Broken), "daemon"), "systemctl restart tunmux-privileged.service");
    }

    [Test]
    public void Daemon_not_running_needs_the_group_in_this_session_and_sudo_for_the_installed_path()
    {
        Assert.That(Check(NewMachine(uid: 0), "daemon").Detail, Does.Contain("root"));

        AssertFails(Check(NewMachine(groups: [Alice]), "daemon"), "log in again (or start a shell in the group: newgrp tunmux)");

        File("etc/group", $"alice:x:{Alice}:\ntunmux:x:{TunmuxGid}:\n");
        AssertFails(Check(NewMachine(groups: [Alice]), "daemon"), "sudo usermod -aG tunmux alice");

        File("etc/group", $"alice:x:{Alice}:\n");
        AssertFails(Check(NewMachine(groups: [Alice]), "daemon"), "sudo groupadd --system tunmux");

        File("etc/group", $"tunmux:x:{TunmuxGid}:alice\n");
        // sudo answers for exactly the command the autostart runs.
        Tool("sudo", "printf '%s ' \"$@\" > \"$(dirname \"$0\")/../../sudo-args\"; echo 'Sorry, user alice is not allowed to execute it' >&2; exit 1");
        var refused = Check(NewMachine(), "daemon");
        AssertFails(refused, "sudoers lines for /usr/lib/tunmux/tunmux");
        Assert.That(refused.Fix, Does.Contain("systemctl enable --now tunmux-privileged.socket"));
        Assert.That(System.IO.File.ReadAllText(_root.Combine("sudo-args")).Trim(),
            Is.EqualTo("-n -l /usr/lib/tunmux/tunmux privileged --serve --autostarted --authorized-group tunmux"));

        Tool("sudo", "echo 'sudo: a password is required' >&2; exit 1");
        AssertFails(Check(NewMachine(), "daemon"), "sudoers lines", CheckStatus.Warn);

        Delete("usr/bin/sudo");
        AssertFails(Check(NewMachine(), "daemon"), "systemctl enable --now tunmux-privileged.socket");

        _cli.WriteConfig("[general]\nprivileged_autostart = false\n");
        AssertFails(Check(NewMachine(), "daemon"), "privileged_autostart = true");
    }

    [Test]
    public void The_sudo_check_names_the_timeout_line_when_the_daemon_stops_after_a_timeout()
    {
        _cli.WriteConfig("[general]\nprivileged_autostop_mode = \"timeout\"\nprivileged_autostop_timeout_ms = 60000\n");
        Tool("sudo", "printf '%s ' \"$@\" > \"$(dirname \"$0\")/../../sudo-args\"; exit 0");
        Assert.That(Check(NewMachine(), "daemon").Status, Is.EqualTo(CheckStatus.Ok));
        Assert.That(System.IO.File.ReadAllText(_root.Combine("sudo-args")).Trim(),
            Does.EndWith("--authorized-group tunmux --idle-timeout-ms 60000"));
    }

    [Test]
    public void User_namespaces_each_missing_piece_names_its_fix()
    {
        File("proc/sys/kernel/unprivileged_userns_clone", "0");
        AssertFails(Check(NewMachine(), "userns"), "sysctl -w kernel.unprivileged_userns_clone=1", CheckStatus.Warn);
        File("proc/sys/kernel/unprivileged_userns_clone", "1");

        File("proc/sys/user/max_user_namespaces", "0");
        AssertFails(Check(NewMachine(), "userns"), "sysctl -w user.max_user_namespaces", CheckStatus.Warn);
        File("proc/sys/user/max_user_namespaces", "63000");

        File("proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1");
        File("etc/apparmor.d/tunmux", "profile tunmux {}\n");
        AssertFails(Check(NewMachine(), "userns"), "apparmor_parser -r /etc/apparmor.d/tunmux", CheckStatus.Warn);
        File("sys/kernel/security/apparmor/profiles", "tunmux (unconfined)\n");
        Assert.That(Check(NewMachine(), "userns").Status, Is.EqualTo(CheckStatus.Ok), "the profile is loaded");

        Delete("usr/bin/pasta");
        AssertFails(Check(NewMachine(), "userns"), "apt install passt", CheckStatus.Warn);
        Tool("slirp4netns", "exit 0");
        Assert.That(Check(NewMachine(), "userns").Status, Is.EqualTo(CheckStatus.Ok), "slirp4netns will do");

        Delete("usr/bin/wireguard-go");
        AssertFails(Check(NewMachine(), "userns"), "apt install wireguard-go", CheckStatus.Warn);
    }

    [Test]
    public void Nftables_missing_fails()
    {
        Delete("usr/bin/nft");
        var (code, checks, _) = Doctor(NewMachine());
        AssertFails(checks.Single(c => c.Name == "nftables"), "apt install nftables");
        Assert.That(code, Is.EqualTo(1));
    }

    [Test]
    public void A_config_that_does_not_parse_fails_naming_the_file()
    {
        _cli.WriteConfig("[general]\nbackend = \"warp\"\n");
        var check = Check(NewMachine(), "config");
        AssertFails(check, "edit " + _cli.Paths.ConfigFile);
        Assert.That(check.Detail, Does.Contain("backend"));
        _cli.WriteConfig("[general]\nbakend = \"auto\"\n");
        AssertFails(Check(NewMachine(), "config"), "edit", CheckStatus.Warn);
    }

    [Test]
    public void A_plugin_that_does_not_load_fails_and_none_at_all_fails()
    {
        PluginLayout.Install(_cli.PluginsDir, "testthrows");
        var (code, checks, _) = Doctor(NewMachine());
        var plugins = checks.Single(c => c.Name == "plugins");
        AssertFails(plugins, "testthrows");
        Assert.That(checks.Select(c => c.Name), Does.Contain("session:testgood"), "the plugins that load are still checked");
        Assert.That(code, Is.EqualTo(1));

        Directory.Delete(_cli.PluginsDir, recursive: true);
        Directory.CreateDirectory(_cli.PluginsDir);
        AssertFails(Check(NewMachine(), "plugins"), "reinstall tunmux");
    }

    [Test]
    public void A_stored_session_the_provider_refuses_fails_with_the_providers_words_and_no_session_is_no_fault()
    {
        Assert.That(Check(NewMachine(), "session:testgood").Detail, Is.EqualTo("logged in as tester (none)"));

        _cli.WriteConfig("[testgood]\ninfo_error = \"the session expired; log in again\"\n");
        var notLoggedIn = Check(NewMachine(), "session:testgood");
        Assert.That(notLoggedIn.Status, Is.EqualTo(CheckStatus.Skip), "nothing stored: not logged in");
        Assert.That(notLoggedIn.Fix, Is.EqualTo("tunmux testgood login <username>"));

        Directory.CreateDirectory(Path.Combine(_cli.ConfigDir, "testgood"));
        System.IO.File.WriteAllText(Path.Combine(_cli.ConfigDir, "testgood", "session.json"), "{}");
        var refused = Check(NewMachine(), "session:testgood");
        AssertFails(refused, "tunmux testgood login");
        Assert.That(refused.Detail, Is.EqualTo("the session expired; log in again"));
    }

    [Test]
    public void A_clock_before_the_build_fails_and_an_unsynchronized_one_warns()
    {
        var early = Check(NewMachine(now: new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero)), "clock");
        AssertFails(early, "timedatectl set-ntp true");
        Assert.That(early.Detail, Does.Contain("2001-01-01").And.Contain("certificates"));
        AssertFails(Check(NewMachine(synchronized: false), "clock"), "timedatectl set-ntp true", CheckStatus.Warn);
        Assert.That(Check(NewMachine(synchronized: null), "clock").Status, Is.EqualTo(CheckStatus.Ok));
    }

    [Test]
    public void Warnings_alone_exit_0_and_the_text_line_carries_the_fix()
    {
        var (code, checks, text) = Doctor(NewMachine(synchronized: false));
        Assert.That(checks.Single(c => c.Name == "clock").Status, Is.EqualTo(CheckStatus.Warn));
        Assert.That(code, Is.Zero);
        Assert.That(text.Split('\n').Single(l => l.StartsWith("warn", StringComparison.Ordinal)), Does.EndWith("; fix: sudo timedatectl set-ntp true"));
    }

    [Test]
    public void The_test_root_comes_from_the_environment_and_the_command_line_runs_the_checks()
    {
        var before = Environment.GetEnvironmentVariable("TUNMUX_DOCTOR_ROOT");
        var runtimeBefore = Environment.GetEnvironmentVariable("TUNMUX_RUNTIME_DIR");
        Environment.SetEnvironmentVariable("TUNMUX_DOCTOR_ROOT", _root.Path);
        // No daemon of this machine is asked: the runtime folder is the test's own, empty.
        Environment.SetEnvironmentVariable("TUNMUX_RUNTIME_DIR", _root.Combine("run"));
        try
        {
            Assert.That(Machine.Current().Root, Is.EqualTo(_root.Path));
            Delete("usr/bin/nft");
            Assert.That(_cli.Run("doctor"), Is.EqualTo(1));
            Assert.That(_cli.Out, Does.Contain("FAIL  nftables").And.Contain("fix: sudo apt install nftables"));
            Assert.That(_cli.Run("doctor", "--json"), Is.EqualTo(1));
            using var doc = JsonDocument.Parse(_cli.Out);
            Assert.That(doc.RootElement.GetProperty("ok").GetBoolean(), Is.False);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TUNMUX_DOCTOR_ROOT", before);
            Environment.SetEnvironmentVariable("TUNMUX_RUNTIME_DIR", runtimeBefore);
        }
    }
}
