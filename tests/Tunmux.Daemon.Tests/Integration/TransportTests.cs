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

    [Test]
    public async Task A_stdio_helper_started_by_a_user_without_sudo_is_not_treated_as_root()
    {
        TestAccounts.Require();
        using var sandbox = new DaemonSandbox();
        // What doas, pkexec or run0 leave behind: a root helper whose parent is the user's process, and no
        // SUDO_UID from sudo (here even a forged one). /usr/bin/python3 stands for the user's process: it keeps
        // the effective uid setpriv leaves it (a shell would drop it).
        foreach (var forged in new[] { false, true })
        {
            var env = sandbox.Environment();
            if (forged) { env["SUDO_UID"] = "0"; env["SUDO_GID"] = "0"; }
            var p = sandbox.Start("setpriv", ["--ruid", TestAccounts.Member, "/usr/bin/python3", "-c",
                "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))",
                DaemonSandbox.Dotnet, DaemonSandbox.TunmuxDll, "privileged", "--serve", "--stdio", "--authorized-group", TestAccounts.Group],
                env, redirectStdin: true);
            var answer = await StdioCallAsync(p, """{"v":1,"id":5,"op":"ping"}""", TimeSpan.FromSeconds(30));
            p.StandardInput.Close();
            Assert.That(answer, Does.Contain("\"code\":\"unauthorized\""), (forged ? "forged SUDO_UID: " : "") + answer + sandbox.LogText);
        }
    }

    [Test]
    public async Task State_changes_wait_for_one_machine_wide_lock_on_either_transport()
    {
        Requires.Root("runs the daemon and a stdio helper as root");
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon("--authorized-group", "root");
        var helper = sandbox.Start(DaemonSandbox.Dotnet, [DaemonSandbox.TunmuxDll, "privileged", "--serve", "--stdio", "--authorized-group", "root"],
            sandbox.Environment(), redirectStdin: true);
        // Both ready before the lock is taken, so what is measured below is the wait for the lock alone.
        Assert.That(await StdioCallAsync(helper, """{"v":1,"id":1,"op":"ping"}""", TimeSpan.FromSeconds(30)), Does.Contain("\"ok\":true"));
        const string down = """{"v":1,"id":2,"op":"tunnel.down","args":{"instance":"tmxlocked"}}""";

        // Another daemon or helper in the middle of a state change holds the lock.
        var held = new FileStream(sandbox.Paths.MutationLockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var socketClient = new RawClient(sandbox.Paths.SocketPath);
        var viaSocket = Task.Run(() => socketClient.Call(down).GetRawText());
        var viaStdio = StdioCallAsync(helper, down, TimeSpan.FromSeconds(30));
        await Task.Delay(1500);
        var waited = (viaSocket.IsCompleted, viaStdio.IsCompleted);
        held.Dispose();
        var answers = await Task.WhenAll(viaSocket, viaStdio);
        helper.StandardInput.Close();
        Assert.Multiple(() =>
        {
            Assert.That(waited, Is.EqualTo((false, false)), "neither transport may change state while another holds the lock");
            Assert.That(answers, Has.All.Contain("\"was_up\":false"));
        });
    }

    /// <summary>One request to a stdio helper on its stdin, its answer from its stdout.</summary>
    private static async Task<string> StdioCallAsync(Process p, string json, TimeSpan timeout)
    {
        var payload = System.Text.Encoding.UTF8.GetBytes(json);
        var frame = new byte[4 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        await p.StandardInput.BaseStream.WriteAsync(frame);
        await p.StandardInput.BaseStream.FlushAsync();
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[4];
        await p.StandardOutput.BaseStream.ReadExactlyAsync(header, cts.Token);
        var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header)];
        await p.StandardOutput.BaseStream.ReadExactlyAsync(body, cts.Token);
        return System.Text.Encoding.UTF8.GetString(body);
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
