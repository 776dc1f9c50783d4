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
/// the test, ended by its PID) for the members of a group of the test's own; the exit's owner runs programs in it
/// with its own uid, gid and groups, curl leaves through the exit by name, exit codes and signals come back, stdin
/// and a terminal of its own work, a killed or interrupted client takes its program along, the daemon keeps no
/// descriptor and leaves no process, and another member of the group is refused.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RootModeExecTests : LabSession
{
    protected override string LabName => "tbrmexec";

    private static readonly string Suffix = LocalUsers.NewSuffix();
    private readonly string _group = "tmxe" + Suffix;
    private TestUser? _owner;
    private TestUser? _other;
    private TempDir? _daemonDir;
    private Process? _daemon;
    private bool _groupCreated;

    private string RuntimeDir => _daemonDir!.Combine("run");
    private string DaemonOut => _daemonDir!.Combine("daemon.out");

    [OneTimeSetUp]
    public void CreateUsersAndDaemon()
    {
        if (LocalUsers.Unavailable() is { } why) Assert.Ignore(why);
        Requires.Command("groupadd", "passwd");
        Requires.Command("python3", "python3");
        LocalUsers.Run("groupadd", _group);
        _groupCreated = true;
        // Both may use the daemon (members of its authorized group); only the first owns the exits.
        _owner = LocalUsers.Add("tmxo" + Suffix, _group);
        _other = LocalUsers.Add("tmxq" + Suffix, _group);

        _daemonDir = new TempDir("tunmux-exec-daemon-");
        File.SetUnixFileMode(_daemonDir.Path, (UnixFileMode)0b111_101_101);
        // Its output goes to a file nobody has to drain; 'exec' keeps one PID from sh to the daemon.
        var line = string.Join(' ', new[]
        {
            "nsenter", "--net=/run/netns/" + Lab.HostNamespace, "env", "TUNMUX_RUNTIME_DIR=" + RuntimeDir,
            "TUNMUX_STATE_DIR=" + _daemonDir.Combine("state"), Dist.Executable, "privileged", "--serve", "--authorized-group", _group,
        }.Select(a => "'" + a + "'"));
        _daemon = Process.Start(new ProcessStartInfo("sh", ["-c", $"exec {line} >'{DaemonOut}' 2>&1 </dev/null"]) { UseShellExecute = false })!;
        var socket = Path.Combine(RuntimeDir, "ctl.sock");
        if (!WaitUntil(() => File.Exists(socket) || _daemon.HasExited, 20_000) || _daemon.HasExited)
            Assert.Fail("the daemon did not come up: " + DaemonOutput());
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

    [TearDown]
    public void ShowDaemonOutput() => TestContext.Out.WriteLine("--- daemon output:\n" + DaemonOutput());

    private string DaemonLog => _daemonDir!.Combine("state/daemon.log");

    private string DaemonOutput() =>
        (File.Exists(DaemonOut) ? File.ReadAllText(DaemonOut) : "") + (File.Exists(DaemonLog) ? File.ReadAllText(DaemonLog) : "");

    private UserSession NewUserSession(TestUser user)
    {
        var s = Track(new UserSession(Lab, user, RuntimeDir));
        s.Config("[general]\nprivileged_autostart = false\n");
        return s;
    }

    private string Connect(UserSession owner, string instance, int server)
    {
        var up = owner.Tunmux("wgconf", "connect", "--proxy", "--file", owner.WriteFile(instance + ".conf", Lab.ClientConf(server)));
        AssertOk(up, "connect through the daemon");
        Assert.That(up.Output, Does.Contain("through the tunmux daemon"), up.ToString());
        Assert.That(owner.Status().Single(s => s.GetProperty("instance").GetString() == instance).GetProperty("backend").GetString(),
            Is.Not.EqualTo("rootless"));
        return instance;
    }

    [Test]
    public void The_owner_runs_programs_in_its_exit_as_itself_and_another_user_is_refused()
    {
        var owner = NewUserSession(_owner!);
        var other = NewUserSession(_other!);
        var instance = Connect(owner, LabName + "-one", 1);

        // The first exec brings the daemon's lazily opened descriptors into being; later ones must add none.
        AssertOk(owner.Tunmux("exec", instance, "true"), "first exec");
        var baseline = DaemonDescriptors();

        var groupId = LocalUsers.Run("getent", "group", _group).Split(':')[2];
        Assert.Multiple(() =>
        {
            var id = owner.Tunmux("exec", instance, "id", "-u");
            Assert.That(id.Output.Trim(), Is.EqualTo(_owner!.Uid.ToString(CultureInfo.InvariantCulture)), "the caller's uid: " + id);
            Assert.That(owner.Tunmux("exec", instance, "id", "-g").Output.Trim(), Is.EqualTo(_owner!.Gid.ToString(CultureInfo.InvariantCulture)), "the caller's gid");
            Assert.That(owner.Tunmux("exec", instance, "id", "-G").Output.Trim().Split(' '), Does.Contain(groupId), "the caller's groups");

            var curl = owner.Tunmux("exec", instance, "curl", "-sS", "-m", "8", Lab.WhoamiByName);
            Assert.That(curl.Output.Trim(), Is.EqualTo(Lab.ExitAddress(1)), "traffic and DNS through the exit: " + curl);
            Assert.That(owner.Tunmux("exec", instance, "cat", "/etc/resolv.conf").Output, Does.Contain("nameserver " + Lab.DnsIp), "the exit's resolv.conf");

            Assert.That(owner.Tunmux("exec", instance, "sh", "-c", "exit 7").ExitCode, Is.EqualTo(7), "exit code");
            Assert.That(owner.Tunmux("exec", instance, "sh", "-c", "kill -TERM $$").ExitCode, Is.EqualTo(128 + 15), "signal, as a shell reports it");
            Assert.That(owner.TunmuxWithInput("through stdin\n", "exec", instance, "cat").Output, Is.EqualTo("through stdin\n"), "stdin");
            var both = owner.Tunmux("exec", instance, "--", "sh", "-c", "echo out; echo err >&2");
            Assert.That((both.Output, both.Error.Trim()), Is.EqualTo(("out\n", "err")), "stdout and stderr are the caller's own");

            // Only 0, 1 and 2: nothing of the daemon's (its socket, its listeners, its logs) reaches the program.
            var fds = owner.Tunmux("exec", instance, "sh", "-c", "ls /proc/$$/fd");
            Assert.That(fds.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "0", "1", "2" }), "descriptors: " + fds);
            // A login's environment plus the caller's locale; none of the daemon's (or the client's) variables.
            var env = owner.Run("env", ["TZ=UTC", "LC_TIME=C", "SECRET_OF_THE_CALLER=x", Dist.Executable, "exec", instance, "env"]).Output;
            Assert.That(env, Does.Contain("USER=" + _owner!.Name).And.Contain("TZ=UTC").And.Contain("LC_TIME=C"), "environment: " + env);
            Assert.That(env, Does.Not.Contain("TUNMUX_").And.Not.Contain("SECRET_OF_THE_CALLER"), "environment: " + env);
            // The caller's working folder, whatever the daemon's.
            var pwd = owner.Run("sh", ["-c", $"cd '{_owner!.Home}' && exec '{Dist.Executable}' exec {instance} pwd"]);
            Assert.That(pwd.Output.Trim(), Is.EqualTo(_owner!.Home), "working folder: " + pwd);
        });

        // A program the owner may not run is not run: it is executed as the owner, never as root.
        var rootOnly = Path.Combine(_daemonDir!.Path, "root-only");
        File.WriteAllText(rootOnly, $"#!/bin/sh\ntouch '{_daemonDir.Path}/ran'\n");
        File.SetUnixFileMode(rootOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var denied = owner.Tunmux("exec", instance, rootOnly);
        Assert.That(denied.ExitCode, Is.Not.Zero, denied.ToString());
        Assert.That(File.Exists(Path.Combine(_daemonDir.Path, "ran")), Is.False, "a root-only program ran");

        var refused = other.Tunmux("exec", instance, "id", "-u");
        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.Not.Zero, refused.ToString());
            Assert.That(refused.Error.Trim(), Does.Contain("belongs to another user").And.Not.Contain("\n"), "one clear line: " + refused);
            Assert.That(refused.Output, Is.Empty, refused.ToString());
            Assert.That(_other!.Processes(), Is.Empty, "nothing ran for the other user");
            var unknown = other.Tunmux("exec", LabName + "-none", "true");
            Assert.That((unknown.ExitCode, unknown.Error.Trim()), Is.EqualTo((1, $"error: no exit named '{LabName}-none'; see tunmux status")), unknown.ToString());
        });

        Assert.That(WaitUntil(() => DaemonDescriptors().Count <= baseline.Count), Is.True,
            $"the daemon kept descriptors: before [{string.Join(", ", baseline)}], after [{string.Join(", ", DaemonDescriptors())}]");
        Assert.That(_owner!.Processes(), Is.Empty, "a program outlived its exec: " + TestUser.Describe(_owner!.Processes()));
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    [Test]
    public void At_a_terminal_the_program_gets_its_own_with_the_callers_size_and_ctrl_c_reaches_it()
    {
        var owner = NewUserSession(_owner!);
        var instance = Connect(owner, LabName + "-tty", 2);

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
            "tty; stty size; curl -sS -m 8 " + Lab.WhoamiByName + "; echo; trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.1; done"], timeoutMs: 60_000);
        Assert.Multiple(() =>
        {
            Assert.That(r.Output, Does.Contain("/dev/pts/"), r.ToString());
            Assert.That(r.Output, Does.Contain("33 77"), "the caller's window size");
            Assert.That(r.Output, Does.Contain(Lab.ExitAddress(2)), "through the exit");
            Assert.That(r.Output, Does.Contain("got-INT"), "Ctrl-C reached the program");
            Assert.That(r.Output, Does.Contain("EXIT=3"), "its exit code came back");
        });
        Assert.That(WaitUntil(() => _owner!.Processes().Count == 0), Is.True, "left behind: " + TestUser.Describe(_owner!.Processes()));
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    [TestCase("SIGKILL")]
    [TestCase("SIGINT")]
    public void A_client_that_goes_away_takes_its_program_and_what_it_started_along(string signal)
    {
        var owner = NewUserSession(_owner!);
        var instance = Connect(owner, LabName + "-hup", 1);
        AssertOk(owner.Tunmux("exec", instance, "true"), "first exec");
        var baseline = DaemonDescriptors();

        // The program starts a job of its own in the background (same session) and waits: both must end.
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["--net=/run/netns/" + Lab.HostNamespace,
                     .. _owner!.AsUser(new Dictionary<string, string> { ["TUNMUX_CONFIG_DIR"] = owner.ConfigDir, ["TUNMUX_RUNTIME_DIR"] = RuntimeDir }),
                     Dist.Executable, "exec", instance, "sh", "-c", "sleep 7777 & sleep 7778"])
            psi.ArgumentList.Add(a);
        using var client = Process.Start(psi)!;
        try
        {
            Assert.That(WaitUntil(() => Sleepers().Count == 2), Is.True, "the program started: " + TestUser.Describe(_owner!.Processes()));
            // The client is the tunmux process itself (nsenter, setpriv and env execute it in place).
            Run("kill", "-" + signal, client.Id.ToString(CultureInfo.InvariantCulture));
            Assert.That(client.WaitForExit(10_000), Is.True, "the client ended");
            Assert.That(WaitUntil(() => Sleepers().Count == 0), Is.True, "the program and its job ended with their client");
        }
        finally
        {
            if (!client.HasExited) client.Kill();
            foreach (var pid in Sleepers()) Run("kill", "-9", pid.ToString(CultureInfo.InvariantCulture));
        }
        Assert.That(WaitUntil(() => _owner!.Processes().Count == 0), Is.True, "left behind: " + TestUser.Describe(_owner!.Processes()));
        Assert.That(WaitUntil(() => DaemonDescriptors().Count <= baseline.Count), Is.True,
            $"the daemon kept descriptors: before [{string.Join(", ", baseline)}], after [{string.Join(", ", DaemonDescriptors())}]");
        Assert.That(DaemonOutput(), Does.Contain("ended with its client"));
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    [Test]
    public void A_client_that_breaks_the_exchange_gets_an_error_and_the_daemon_keeps_nothing()
    {
        var owner = NewUserSession(_owner!);
        var instance = Connect(owner, LabName + "-bad", 1);
        AssertOk(owner.Tunmux("exec", instance, "true"), "first exec");
        var baseline = DaemonDescriptors();

        // A client of its own, speaking the frames by hand: a byte without descriptors, too few descriptors,
        // a hang-up right after the first answer, and a program the caller names relatively.
        const string client = """
            import functools, json, os, socket, struct, sys
            print = functools.partial(print, flush=True)
            path, instance = sys.argv[1], sys.argv[2]
            def request(s, args):
                body = json.dumps({"v": 1, "id": 1, "op": "exec", "args": args}).encode()
                s.sendall(struct.pack(">I", len(body)) + body)
            def answer(s):
                head = b""
                while len(head) < 4:
                    chunk = s.recv(4 - len(head))
                    if not chunk: return "closed"
                    head += chunk
                (n,) = struct.unpack(">I", head)
                body = b""
                while len(body) < n: body += s.recv(n - len(body))
                return json.loads(body)
            def start(args):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(20)
                s.connect(path)
                request(s, args)
                return s, answer(s)
            plain = {"instance": instance, "file": "/usr/bin/true", "arguments": [], "environment": {}}
            s, ready = start(plain); print("ready", json.dumps(ready.get("result")))
            s.send(b"F"); print("no-fds", json.dumps(answer(s).get("error", {}).get("code"))); s.close()
            s, _ = start(plain)
            socket.send_fds(s, [b"F"], [0, 1]); print("two-fds", json.dumps(answer(s).get("error", {}).get("code"))); s.close()
            s, _ = start(plain); s.close(); print("hung-up")
            s, bad = start({"instance": instance, "file": "true", "arguments": [], "environment": {}}); print("relative", json.dumps(bad.get("error", {}).get("code"))); s.close()
            """;
        var r = owner.Run("python3", ["-c", client, Path.Combine(RuntimeDir, "ctl.sock"), instance], timeoutMs: 120_000);
        Assert.Multiple(() =>
        {
            Assert.That(r.Output, Does.Contain("ready {\"ready\": true}"), r.ToString());
            Assert.That(r.Output, Does.Contain("no-fds \"bad_frame\""), r.ToString());
            Assert.That(r.Output, Does.Contain("two-fds \"bad_frame\""), r.ToString());
            Assert.That(r.Output, Does.Contain("hung-up"), r.ToString());
            Assert.That(r.Output, Does.Contain("relative \"invalid_argument\""), r.ToString());
        });
        AssertOk(owner.Tunmux("exec", instance, "true"), "exec after the broken clients");
        Assert.That(WaitUntil(() => DaemonDescriptors().Count <= baseline.Count), Is.True,
            $"the daemon kept descriptors: before [{string.Join(", ", baseline)}], after [{string.Join(", ", DaemonDescriptors())}]");
        Assert.That(_owner!.Processes(), Is.Empty, "left behind: " + TestUser.Describe(_owner!.Processes()));
        AssertOk(owner.Tunmux("disconnect", instance), "disconnect");
    }

    /// <summary>
    /// What the daemon's descriptors point at (for a message when one is kept), leaving out the runtime's own code
    /// files, which it maps the first time a path needs them (an exception's stack trace loads a few).
    /// </summary>
    private List<string> DaemonDescriptors()
    {
        var list = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{_daemon!.Id}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget ?? "?";
                if (!target.EndsWith(".dll", StringComparison.Ordinal) && !target.EndsWith(".pdb", StringComparison.Ordinal))
                    list.Add(Path.GetFileName(fd) + "=" + target);
            }
            catch (IOException) { }
        }
        return list;
    }

    /// <summary>The owner's <c>sleep 7777</c> and <c>sleep 7778</c>, if running.</summary>
    private List<int> Sleepers() =>
        [.. _owner!.Processes().Where(p =>
        {
            try { return File.ReadAllText($"/proc/{p}/cmdline").Replace('\0', ' ').Trim() is "sleep 7777" or "sleep 7778"; }
            catch (IOException) { return false; }
        })];

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
