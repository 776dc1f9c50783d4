using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Host.Privileged;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>The stdio transport and systemd-style socket activation.</summary>
[NonParallelizable]
public class TransportTests
{
    [Test]
    public async Task Stdio_transport_through_sudo_serves_one_command_and_ends_with_it()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        TestAccounts.AllowSudo(sandbox.Wrapper);
        try
        {
            var member = await sandbox.ProbeAsync(TestAccounts.Member, "stdio", autostart: true);
            var outsider = await sandbox.ProbeAsync(TestAccounts.Outsider, "stdio", autostart: true);
            Assert.Multiple(() =>
            {
                Assert.That(member.Ok, Is.True, member.ToString());
                Assert.That(outsider.Message, Is.EqualTo(ClientMessages.SudoPasswordNoTty), outsider.ToString());
                Assert.That(File.Exists(sandbox.Paths.SocketPath), Is.False, "stdio mode does not listen");
                Assert.That(sandbox.LogText, Does.Contain("serving stdio"));
                Assert.That(HelpersStillRunning(sandbox), Is.Empty, "the helper exits with its command");
            });
        }
        finally
        {
            TestAccounts.RevokeSudo();
        }
    }

    [Test]
    public async Task Stdio_transport_as_root_runs_the_helper_directly()
    {
        Requires.Root("the stdio helper must run as root");
        using var sandbox = new DaemonSandbox();
        var r = await sandbox.ProbeAsync(null, "stdio", autostart: true, group: "root");
        Assert.That(r.Ok, Is.True, r.ToString());
        Assert.That(HelpersStillRunning(sandbox), Is.Empty);
    }

    [Test]
    public async Task A_socket_handed_over_by_the_service_manager_is_served_and_left_in_place()
    {
        Requires.Root("binds the control socket as root");
        var activate = Requires.Which("systemd-socket-activate");
        if (activate is null) Assert.Ignore("needs 'systemd-socket-activate' (Debian package systemd)");
        using var sandbox = new DaemonSandbox();
        Directory.CreateDirectory(sandbox.Paths.RuntimeDir);

        var env = sandbox.Environment();
        var activator = sandbox.Start(activate, [
            "-l", sandbox.Paths.SocketPath,
            "-E", "TUNMUX_RUNTIME_DIR=" + sandbox.Paths.RuntimeDir,
            "-E", "TUNMUX_STATE_DIR=" + sandbox.Paths.StateDir,
            DaemonSandbox.Dotnet, DaemonSandbox.TunmuxDll, "privileged", "--serve", "--authorized-group", "root"], env);
        DaemonSandbox.WaitUntil(() => File.Exists(sandbox.Paths.SocketPath), TimeSpan.FromSeconds(10), "activator did not bind");

        // The first connection makes the activator start the daemon with the listening socket as fd 3.
        var r = await sandbox.ProbeAsync(null, "socket", autostart: false, group: "root");
        Assert.That(r.Ok, Is.True, r.ToString() + sandbox.LogText);
        Assert.That(sandbox.LogText, Does.Contain("listening on a socket from the service manager"));

        var pid = sandbox.DaemonPids.Single();
        Process.GetProcessById(pid).Kill();
        DaemonSandbox.WaitUntil(() => !DaemonSandbox.IsAlive(pid), TimeSpan.FromSeconds(5), "daemon did not stop");
        Assert.That(File.Exists(sandbox.Paths.SocketPath), Is.True, "the service manager's socket is not the daemon's to remove");
        if (!activator.HasExited) activator.Kill(entireProcessTree: true);
    }

    /// <summary>Processes still running this sandbox's wrapper or tunmux.dll in stdio mode.</summary>
    private static List<int> HelpersStillRunning(DaemonSandbox sandbox)
    {
        Thread.Sleep(300);
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmd;
            try { cmd = File.ReadAllText(Path.Combine(dir, "cmdline")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            if (cmd.Contains("--stdio") && (cmd.Contains(sandbox.Wrapper) || cmd.Contains(DaemonSandbox.TunmuxDll)) && DaemonSandbox.IsAlive(pid))
                found.Add(pid);
        }
        return found;
    }
}
