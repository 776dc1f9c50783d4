using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Host.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>pid.kill signals only processes the daemon recorded as its own, and only while they are still the same process.</summary>
[NonParallelizable]
public class KillPidTests
{
    private DaemonSandbox _sandbox = null!;
    private IPrivilegedClient _client = null!;
    private ManagedPids _managed = null!;

    [SetUp]
    public async Task SetUp()
    {
        Requires.Root("the daemon writes its managed-PID records as root");
        _sandbox = new DaemonSandbox();
        _sandbox.StartDaemon("--authorized-group", "root");
        _managed = new ManagedPids(_sandbox.Paths.ManagedPidsDir);
        _client = await PrivilegedClient.ConnectAsync(new PrivilegedClientOptions { Autostart = false, Paths = _sandbox.Paths }, CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_client is not null) await _client.DisposeAsync();
        _sandbox?.Dispose();
    }

    private Process Sleeper() => _sandbox.Start("sleep", ["60"], _sandbox.Environment());

    private string EntryFile(int pid) => Path.Combine(_sandbox.Paths.ManagedPidsDir, pid + ".start");

    [Test]
    public async Task A_managed_process_is_killed_and_its_record_removed()
    {
        var p = Sleeper();
        _managed.Register(p.Id);
        await _client.KillPidAsync(p.Id, CancellationToken.None);
        Assert.That(p.WaitForExit(3000), Is.True, "the managed process was not ended");
        Assert.That(File.Exists(EntryFile(p.Id)), Is.False);
    }

    [Test]
    public void An_unmanaged_process_is_refused()
    {
        var p = Sleeper();
        var e = Assert.ThrowsAsync<PrivilegedException>(() => _client.KillPidAsync(p.Id, CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.NotFound));
        Assert.That(p.HasExited, Is.False);
    }

    [Test]
    public void A_record_whose_pid_was_reused_is_refused_and_cleaned()
    {
        var p = Sleeper();
        _managed.Register(p.Id);
        // Same PID, another start time: what the record looks like once the PID belongs to a new process.
        var recorded = ulong.Parse(File.ReadAllText(EntryFile(p.Id)));
        File.WriteAllText(EntryFile(p.Id), (recorded + 12345).ToString());

        var e = Assert.ThrowsAsync<PrivilegedException>(() => _client.KillPidAsync(p.Id, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Code, Is.EqualTo(ErrorCodes.NotFound));
            Assert.That(p.HasExited, Is.False, "a reused PID must never be signalled");
            Assert.That(File.Exists(EntryFile(p.Id)), Is.False, "the stale record is removed");
        });
    }

    /// <summary>
    /// Defect 8: the PID is reused between the check of the recorded start time and the signal. The killer holds a
    /// pidfd taken before the check, so the newcomer is never signalled; a killer that re-read the start time or
    /// signalled by PID would end it. Runs in a PID namespace of its own, where the reuse is certain.
    /// </summary>
    [Test]
    public void A_pid_reused_between_the_check_and_the_signal_is_never_signalled()
    {
        Requires.Command("unshare", "util-linux");
        using var records = new TempDir("tunmux-pidreuse-");
        var r = Tunmux.TestSupport.Lab.Lab.Run("unshare", ["--pid", "--fork", "--mount-proc", DaemonSandbox.Dotnet, DaemonSandbox.ProbeDll,
            "pid-reuse", records.Path], timeoutMs: 30_000);
        Assert.That(r.Ok, Is.True, r.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(r.Output.Trim().Split('\n')[^1]);
        var result = doc.RootElement;
        Assert.That(result.GetProperty("reused").GetBoolean(), Is.True, "the second process did not get the first one's PID: " + r.Output);
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("second_alive").GetBoolean(), Is.True, "the process that took over the PID was signalled: " + r.Output);
            Assert.That(result.GetProperty("record_left").GetBoolean(), Is.False, "the record is removed");
            Assert.That(result.GetProperty("error").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null), r.Output);
        });
    }

    [Test]
    public void Pid_one_and_below_are_invalid()
    {
        var e = Assert.ThrowsAsync<PrivilegedException>(() => _client.KillPidAsync(1, CancellationToken.None))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCodes.InvalidArgument));
    }

    [Test]
    public async Task Tunnel_down_of_an_unknown_instance_changes_nothing()
    {
        // Down is idempotent: nothing to take down is an answer, not an error.
        var r = await _client.TunnelDownAsync("tmxnone", CancellationToken.None);
        Assert.That(r.WasUp, Is.False);
    }
}
