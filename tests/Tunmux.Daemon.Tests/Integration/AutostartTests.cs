using NUnit.Framework;
using Tunmux.Host.Privileged;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>Autostart through real sudo (a sudoers drop-in for the test group), the startup lock, and the autostop modes.</summary>
[NonParallelizable]
public class AutostartTests
{
    private DaemonSandbox _sandbox = null!;

    [SetUp]
    public void SetUp()
    {
        TestAccounts.Require();
        _sandbox = new DaemonSandbox();
        TestAccounts.AllowSudo(_sandbox.Wrapper);
    }

    [TearDown]
    public void TearDown()
    {
        TestAccounts.RevokeSudo();
        _sandbox?.Dispose();
    }

    private static string RootOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];

    private void WaitGone(int pid, string why) =>
        DaemonSandbox.WaitUntil(() => !DaemonSandbox.IsAlive(pid), TimeSpan.FromSeconds(8), why);

    [Test]
    public async Task A_group_member_autostarts_the_daemon_as_root_through_sudo()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true);
        Assert.That(r.Ok, Is.True, r.ToString());
        var pids = _sandbox.DaemonPids;
        Assert.That(pids, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(RootOf(pids[0]), Is.EqualTo("0"), "the daemon runs as root");
            Assert.That(_sandbox.LogText, Does.Contain("autostarted True"));
            Assert.That(AuthorizationTests.Stat(_sandbox.Paths.SocketPath), Is.EqualTo($"660 root {TestAccounts.Group}"));
        });
    }

    [Test]
    public async Task Two_commands_started_together_start_exactly_one_daemon()
    {
        // The same user three times: the per-user startup lock is what keeps them from racing.
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true, holdMs: 1000)));
        // A second daemon would wait for the first one's lock, then log that it gives up.
        await Task.Delay(500);
        Assert.Multiple(() =>
        {
            foreach (var r in results) Assert.That(r.Ok, Is.True, r.ToString());
            Assert.That(_sandbox.DaemonPids, Has.Count.EqualTo(1), _sandbox.LogText);
            Assert.That(_sandbox.LogText, Does.Not.Contain("already running"));
        });
    }

    [Test]
    public async Task Autostop_never_leaves_the_daemon_running()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true, mode: "never");
        Assert.That(r.Ok, Is.True, r.ToString());
        await Task.Delay(1000);
        Assert.That(DaemonSandbox.IsAlive(_sandbox.DaemonPids.Single()), Is.True);
        Assert.That(RawClient.TryPing(_sandbox.Paths.SocketPath), Is.True);
    }

    [Test]
    public async Task Autostop_command_stops_the_daemon_when_the_last_command_ends()
    {
        var longer = _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true, mode: "command", holdMs: 3000);
        DaemonSandbox.WaitUntil(() => _sandbox.DaemonPids.Count == 1, TimeSpan.FromSeconds(20), "daemon did not start");
        var pid = _sandbox.DaemonPids[0];

        var shorter = await _sandbox.ProbeAsync(TestAccounts.PrimaryMember, "socket", autostart: true, mode: "command");
        Assert.That(shorter.Ok, Is.True, shorter.ToString());
        await Task.Delay(300);
        Assert.That(DaemonSandbox.IsAlive(pid), Is.True, "another command still holds a lease");

        Assert.That((await longer).Ok, Is.True);
        WaitGone(pid, "daemon did not stop after the last command released its lease");
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(_sandbox.Paths.SocketPath), Is.False, "the socket is removed on exit");
            Assert.That(_sandbox.LogText, Does.Contain("shutdown_if_idle and no lease held"));
            Assert.That(_sandbox.DaemonPids, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Autostop_timeout_stops_the_daemon_after_the_idle_time()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true, mode: "timeout", timeoutMs: 700);
        Assert.That(r.Ok, Is.True, r.ToString());
        var pid = _sandbox.DaemonPids.Single();
        WaitGone(pid, "daemon did not stop after its idle timeout");
        Assert.That(_sandbox.LogText, Does.Contain("idle timeout 700 ms").And.Contain("stopped: idle for 700 ms"));
    }

    [Test]
    public async Task Root_starts_the_daemon_without_sudo()
    {
        TestAccounts.RevokeSudo();
        var r = await _sandbox.ProbeAsync(null, "socket", autostart: true, mode: "command");
        Assert.That(r.Ok, Is.True, r.ToString());
        WaitGone(_sandbox.DaemonPids.Single(), "command mode: the daemon stops after the command");
    }

    [Test]
    public async Task A_user_sudo_does_not_allow_gets_the_password_error()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Outsider, "socket", autostart: true);
        Assert.That(r.Message, Is.EqualTo(ClientMessages.SudoPasswordNoTty), r.ToString());
        Assert.That(_sandbox.DaemonPids, Is.Empty);
    }

    [Test]
    public async Task Missing_sudo_is_reported()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: true, env: e => e["PATH"] = "/nonexistent");
        Assert.That(r.Message, Is.EqualTo(ClientMessages.SudoNotFound), r.ToString());
    }

    [Test]
    public async Task Autostart_disabled_is_reported()
    {
        var r = await _sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: false);
        Assert.That(r.Message, Is.EqualTo(ClientMessages.AutostartDisabled), r.ToString());
    }

    [Test]
    public async Task A_daemon_that_never_answers_is_a_startup_timeout()
    {
        TestAccounts.RevokeSudo();
        // As root the client runs the executable directly; this one exits without listening.
        var r = await _sandbox.ProbeAsync(null, "socket", autostart: true, env: e =>
        {
            e["TUNMUX_EXECUTABLE"] = "/bin/true";
            e["PROBE_AUTOSTART_TIMEOUT_MS"] = "1200";
        });
        Assert.That(r.Message, Is.EqualTo(ClientMessages.StartupTimeout), r.ToString());
    }
}
