using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Host.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Integration;

[NonParallelizable]
public class AuthorizationTests
{
    [Test]
    public async Task Root_and_group_members_are_served_and_others_denied()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon("--authorized-group", TestAccounts.Group);

        Assert.Multiple(() =>
        {
            Assert.That(Stat(sandbox.Paths.SocketPath), Is.EqualTo($"660 root {TestAccounts.Group}"));
            Assert.That(Stat(sandbox.Paths.RuntimeDir), Is.EqualTo("755 root root"));
            Assert.That(Stat(sandbox.Paths.ManagedPidsDir), Is.EqualTo("700 root root"));
        });

        var root = await sandbox.ProbeAsync(null, "socket", autostart: false);
        var member = await sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: false);
        var primary = await sandbox.ProbeAsync(TestAccounts.PrimaryMember, "socket", autostart: false);
        var outsider = await sandbox.ProbeAsync(TestAccounts.Outsider, "socket", autostart: false);
        Assert.Multiple(() =>
        {
            Assert.That(root.Ok, Is.True, root.ToString());
            Assert.That(member.Ok, Is.True, "supplementary member: " + member);
            Assert.That(primary.Ok, Is.True, "primary-group member: " + primary);
            Assert.That(outsider.Ok, Is.False, outsider.ToString());
            Assert.That(outsider.Code, Is.EqualTo(ErrorCodes.Unauthorized));
            Assert.That(outsider.Message, Is.EqualTo("authorization denied by privileged daemon"));
        });
    }

    [Test]
    public async Task The_daemon_checks_peer_credentials_itself_and_acts_on_nothing_a_stranger_sends()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        // Autostarted, so shutdown_if_idle would stop it if it were obeyed.
        sandbox.StartDaemon("--autostarted", "--authorized-group", TestAccounts.Group);
        // Let anyone connect at the file level: only SO_PEERCRED stands between the stranger and the daemon.
        File.SetUnixFileMode(sandbox.Paths.SocketPath, (UnixFileMode)0b110_110_110);

        var raw = await RunAs(sandbox, TestAccounts.Outsider, "raw", sandbox.Paths.SocketPath, """{"v":1,"id":42,"op":"shutdown_if_idle"}""");
        var probe = await sandbox.ProbeAsync(TestAccounts.Outsider, "socket", autostart: false);

        Assert.Multiple(() =>
        {
            Assert.That(raw, Does.Contain("\"id\":42").And.Contain("\"code\":\"unauthorized\"").And.Contain(ClientMessages.Denied), raw);
            Assert.That(probe.Message, Is.EqualTo(ClientMessages.Denied), probe.ToString());
            Assert.That(RawClient.TryPing(sandbox.Paths.SocketPath), Is.True, "the daemon must still be running");
            Assert.That(sandbox.LogText, Does.Contain($"denied uid {TestAccounts.Uid(TestAccounts.Outsider)}"));
            Assert.That(sandbox.LogText, Does.Not.Contain("shutdown_if_idle by"));
        });
    }

    [Test]
    public async Task Without_a_group_only_root_is_served()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon();
        File.SetUnixFileMode(sandbox.Paths.SocketPath, (UnixFileMode)0b110_110_110);
        var member = await sandbox.ProbeAsync(TestAccounts.Member, "socket", autostart: false);
        var root = await sandbox.ProbeAsync(null, "socket", autostart: false);
        Assert.That(member.Message, Is.EqualTo(ClientMessages.Denied), member.ToString());
        Assert.That(root.Ok, Is.True, root.ToString());
    }

    internal static string Stat(string path) => TestAccounts.Run("stat", "-c", "%a %U %G", path).Trim();

    internal static async Task<string> RunAs(DaemonSandbox sandbox, string user, params string[] probeArgs)
    {
        var p = sandbox.Start("setpriv",
            ["--reuid", user, "--regid", TestAccounts.PrimaryGroupName(user), "--init-groups", DaemonSandbox.Dotnet, DaemonSandbox.ProbeDll, .. probeArgs],
            sandbox.Environment());
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return stdout + stderr;
    }
}
