using System.Diagnostics;
using NUnit.Framework;
using Tunmux.LabTests.Support;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests;

/// <summary>
/// One lab per fixture (its own name, so fixtures never share namespaces), the published tunmux,
/// and per-test CLI sessions that are always disconnected and ended by PID afterwards.
/// </summary>
public abstract class LabSession
{
    private Lab? _lab;
    private readonly List<IDisposable> _cleanups = [];

    /// <summary>At most 8 characters [a-z0-9]; names the lab's namespaces and the instances tests create.</summary>
    protected abstract string LabName { get; }

    protected Lab Lab => _lab ?? throw new InvalidOperationException("the lab is not up");

    /// <summary>How many fake VPN servers the fixture's lab has.</summary>
    protected virtual int Servers => 2;

    [OneTimeSetUp]
    public void LabUp()
    {
        LabFixture.RequireLab();
        Requires.Command("setpriv", "util-linux");
        Requires.Command("getent", "libc-bin");
        if (!File.Exists("/dev/net/tun")) Assert.Ignore("needs /dev/net/tun for wireguard-go");
        _ = Dist.Executable;
        _lab = Lab.Up(servers: Servers, name: LabName);
    }

    [TearDown]
    public void EndSessions()
    {
        // Last started, first ended: the CLI sessions disconnect before the fake APIs they talk to stop.
        for (var i = _cleanups.Count - 1; i >= 0; i--)
        {
            try { _cleanups[i].Dispose(); }
            catch (Exception e) { TestContext.Out.WriteLine("cleanup: " + e.Message); }
        }
        _cleanups.Clear();
    }

    [OneTimeTearDown]
    public void LabDown()
    {
        _lab?.Dispose();
        _lab = null;
    }

    /// <summary>Registers something to dispose after the current test, whatever its outcome.</summary>
    protected T Track<T>(T item) where T : IDisposable
    {
        _cleanups.Add(item);
        return item;
    }

    /// <summary>Runs <paramref name="action"/> when disposed (with <see cref="Track"/>: after the test, whatever happened).</summary>
    protected sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    protected TunmuxSession NewSession(bool direct = false) => Track(new TunmuxSession(Lab, direct));

    /// <summary>Writes <c>lab.sh client-conf k</c> to <c>&lt;dir&gt;/&lt;name&gt;.conf</c>; wgconf names the instance after the file.</summary>
    protected string WriteClientConf(TunmuxSession session, int k, string name, Func<string, string>? edit = null)
    {
        var path = Path.Combine(session.WorkDir, name + ".conf");
        var text = Lab.ClientConf(k);
        File.WriteAllText(path, edit is null ? text : edit(text));
        return path;
    }

    /// <summary>
    /// The session's daemon, started as root in the host stand-in; its environment names the session's runtime
    /// folder, so the session ends it by PID after disconnecting everything.
    /// </summary>
    protected void StartDaemon(TunmuxSession tm, string? group = null)
    {
        var command = new List<string>
        {
            "env", "TUNMUX_RUNTIME_DIR=" + tm.RuntimeDir, "TUNMUX_STATE_DIR=" + tm.StateDir, Dist.Executable, "privileged", "--serve",
        };
        if (group is not null) command.AddRange(["--authorized-group", group]);
        // Its output goes to a file: nobody reads a pipe that could fill and stop it.
        var line = "exec " + string.Join(' ', command.Select(a => "'" + a + "'")) + $" >'{tm.WorkDir}/daemon.out' 2>&1";
        using var p = Process.Start(new ProcessStartInfo("nsenter", ["--net=/run/netns/" + Lab.HostNamespace, "sh", "-c", line]) { UseShellExecute = false })!;
        LeakPaths.WaitFor(() => File.Exists(Path.Combine(tm.RuntimeDir, "ctl.sock")), "the daemon's socket", TimeSpan.FromSeconds(20));
    }

    /// <summary>Namespaces of instances of this lab (tunmux_&lt;lab&gt;...).</summary>
    protected List<string> InstanceNamespaces()
    {
        var r = Tunmux.TestSupport.Lab.Lab.Check(Run("ip", "netns", "list"));
        return [.. r.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0])
            .Where(n => n.StartsWith("tunmux_" + LabName, StringComparison.Ordinal))];
    }

    /// <summary>Runs a program in the root namespace (kill, ip netns list).</summary>
    protected static LabResult Run(string file, params string[] args) => Tunmux.TestSupport.Lab.Lab.Run(file, args);

    protected static void AssertOk(LabResult r, string what) =>
        Assert.That(r.ExitCode, Is.Zero, $"{what} failed: {r}");
}
