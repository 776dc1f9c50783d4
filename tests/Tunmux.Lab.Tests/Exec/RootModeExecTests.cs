using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;
using Tunmux.TestSupport.Users;

namespace Tunmux.LabTests.Exec;

/// <summary>
/// <c>tunmux exec</c> on a root-mode exit, as real users the test setup creates: a daemon runs as root (started by
/// the test, by PID) for the members of a group of the test's own; the exit's owner runs programs in it with its
/// own uid and groups, exit codes and signals come back, stdin and a terminal of its own work, a killed client
/// takes its program along, and another member of the group is refused.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RootModeExecTests : LabSession
{
    protected override string LabName => "tbrmexec";

    private const string WhoamiName = "http://whoami.lab/";
    private static readonly string Suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly string _group = "tmxe" + Suffix;
    private TestUser? _owner;
    private TestUser? _other;
    private TempDir? _daemonDir;
    private Process? _daemon;
    private bool _groupCreated;

    private string RuntimeDir => _daemonDir!.Combine("run");

    [OneTimeSetUp]
    public void CreateUsersAndDaemon()
    {
        if (LocalUsers.Unavailable() is { } why) Assert.Ignore(why);
        Requires.Command("groupadd", "passwd");
        Requires.Command("python3", "python3");
        LocalUsers.Run("groupadd", _group);
        _groupCreated = true;
        _owner = LocalUsers.Add("tmxo" + Suffix, _group);
        _other = LocalUsers.Add("tmxq" + Suffix, _group);

        _daemonDir = new TempDir("tunmux-exec-daemon-");
        File.SetUnixFileMode(_daemonDir.Path, (UnixFileMode)0b111_101_101);
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in new[]
                 {
                     "--net=/run/netns/" + Lab.HostNamespace, "env", "TUNMUX_RUNTIME_DIR=" + RuntimeDir, "TUNMUX_STATE_DIR=" + _daemonDir.Combine("state"),
                     Dist.Executable, "privileged", "--serve", "--authorized-group", _group,
                 })
            psi.ArgumentList.Add(a);
        _daemon = Process.Start(psi)!;
        var socket = Path.Combine(RuntimeDir, "ctl.sock");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(socket) && !_daemon.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
        if (!File.Exists(socket)) Assert.Fail("the daemon did not come up");
    }

    [OneTimeTearDown]
    public void RemoveUsersAndDaemon()
    {
        if (_daemon is { HasExited: false })
        {
            _daemon.Kill();
            _daemon.WaitForExit(10_000);
        }
        _daemon?.Dispose();
        if (_owner is not null) LocalUsers.Remove(_owner);
        if (_other is not null) LocalUsers.Remove(_other);
        if (_groupCreated) LocalUsers.Run("groupdel", _group);
        _daemonDir?.Dispose();
    }

    private UserSession NewUserSession(TestUser user)
    {
        var s = Track(new UserSession(Lab, user, RuntimeDir));
        s.Config("[general]\nprivileged_autostart = false\n");
        return s;
    }

    [Test]
    public void The_owner_runs_programs_in_its_exit_as_itself_and_another_user_is_refused()
    {
        var owner = NewUserSession(_owner!);
        var other = NewUserSession(_other!);
        var instance = LabName + "-one";
        var conf = owner.WriteFile(instance + ".conf", Lab.ClientConf(1));
        var up = owner.Tunmux("wgconf", "connect", "--proxy", "--file", conf);
        AssertOk(up, "connect through the daemon");
        Assert.That(up.Output, Does.Contain("through the tunmux daemon: auto: the tunmux daemon is running"));
        Assert.That(owner.Status().Single().GetProperty("backend").GetString(), Is.Not.EqualTo("rootless"));

        var uid = _owner!.Uid.ToString(CultureInfo.InvariantCulture);
        var groupId = LocalUsers.Run("getent", "group", _group).Split(':')[2];
        Assert.Multiple(() =>
        {
            var id = owner.Tunmux("exec", instance, "id", "-u");
            Assert.That(id.Output.Trim(), Is.EqualTo(uid), id.ToString());
            Assert.That(owner.Tunmux("exec", instance, "id", "-G").Output.Split(' ', StringSplitOptions.TrimEntries), Does.Contain(groupId), "the caller's groups");
            Assert.That(owner.Tunmux("exec", instance, "curl", "-sS", "-m", "8", WhoamiName).Output.Trim(), Is.EqualTo(Lab.ExitAddress(1)), "DNS and traffic through the exit");
            Assert.That(owner.Tunmux("exec", instance, "sh", "-c", "exit 7").ExitCode, Is.EqualTo(7), "exit code");
            Assert.That(owner.Tunmux("exec", instance, "sh", "-c", "kill -TERM $$").ExitCode, Is.EqualTo(128 + 15), "signal");
            Assert.That(owner.TunmuxWithInput("through stdin\n", "exec", instance, "cat").Output, Is.EqualTo("through stdin\n"));
            var both = owner.Tunmux("exec", instance, "sh", "-c", "echo out; echo err >&2");
            Assert.That((both.Output, both.Error.Trim()), Is.EqualTo(("out\n", "err")), "stdout and stderr are the caller's own");
        });

        var refused = other.Tunmux("exec", instance, "id", "-u");
        Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
        Assert.That(refused.Error, Does.Contain("belongs to another user"), refused.ToString());
        Assert.That(_other!.Processes(), Is.Empty, "nothing ran for the other user");

        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    [Test]
    public void At_a_terminal_the_program_gets_its_own_with_the_callers_size_and_ctrl_c_reaches_it()
    {
        var owner = NewUserSession(_owner!);
        var instance = LabName + "-tty";
        AssertOk(owner.Tunmux("wgconf", "connect", "--proxy", "--file", owner.WriteFile(instance + ".conf", Lab.ClientConf(2))), "connect");

        // A terminal of 33 rows and 77 columns runs tunmux exec; once the program says it is ready, Ctrl-C is typed.
        const string harness = """
            import os, pty, sys, fcntl, termios, struct, select
            pid, fd = pty.fork()
            if pid == 0:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
                os.execv(sys.argv[1], sys.argv[1:])
            out = b""
            sent = False
            while True:
                r, _, _ = select.select([fd], [], [], 20)
                if not r: break
                try: chunk = os.read(fd, 4096)
                except OSError: break
                if not chunk: break
                out += chunk
                if not sent and b"ready" in out:
                    os.write(fd, b"\x03"); sent = True
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace") + "\nEXIT=%d\n" % os.waitstatus_to_exitcode(status))
            """;
        var r = owner.Run("python3", ["-c", harness, Dist.Executable, "exec", instance, "sh", "-c",
            "tty; stty size; trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.1; done"], timeoutMs: 60_000);
        Assert.Multiple(() =>
        {
            Assert.That(r.Output, Does.Contain("/dev/pts/"), r.ToString());
            Assert.That(r.Output, Does.Contain("33 77"), "the caller's window size");
            Assert.That(r.Output, Does.Contain("got-INT"), "Ctrl-C reached the program");
            Assert.That(r.Output, Does.Contain("EXIT=3"), "its exit code came back");
        });
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    [Test]
    public void A_killed_client_takes_its_program_along()
    {
        var owner = NewUserSession(_owner!);
        var instance = LabName + "-kill";
        AssertOk(owner.Tunmux("wgconf", "connect", "--proxy", "--file", owner.WriteFile(instance + ".conf", Lab.ClientConf(1))), "connect");

        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["--net=/run/netns/" + Lab.HostNamespace,
                     .. _owner!.AsUser(new Dictionary<string, string> { ["TUNMUX_CONFIG_DIR"] = owner.ConfigDir, ["TUNMUX_RUNTIME_DIR"] = RuntimeDir }),
                     Dist.Executable, "exec", instance, "sleep", "7777"])
            psi.ArgumentList.Add(a);
        using var client = Process.Start(psi)!;
        try
        {
            Assert.That(WaitUntil(() => Sleeper() is not null), Is.True, "the program started");
            client.Kill();
            client.WaitForExit(5000);
            Assert.That(WaitUntil(() => Sleeper() is null), Is.True, "the program ended with its client");
        }
        finally
        {
            if (!client.HasExited) client.Kill();
            if (Sleeper() is { } pid) Run("kill", "-9", pid.ToString(CultureInfo.InvariantCulture));
        }
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    /// <summary>The owner's <c>sleep 7777</c>, if running.</summary>
    private int? Sleeper() =>
        _owner!.Processes().Cast<int?>().FirstOrDefault(p =>
        {
            try { return File.ReadAllText($"/proc/{p}/cmdline") == "/usr/bin/sleep\07777\0" || File.ReadAllText($"/proc/{p}/cmdline") == "/bin/sleep\07777\0"; }
            catch (IOException) { return false; }
        });

    private static bool WaitUntil(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(100);
        }
        return condition();
    }
}
