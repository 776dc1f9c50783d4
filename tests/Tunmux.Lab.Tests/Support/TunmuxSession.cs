using System.Globalization;
using System.Text.Json;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests.Support;

/// <summary>
/// The real tunmux CLI run in one of the lab's host stand-ins, with its own config, runtime and
/// state folders. The daemon it autostarts (as root, directly) stops after each command
/// (<c>privileged_autostop_mode = "command"</c>). Dispose disconnects everything and ends, by PID,
/// every process still carrying this session's runtime folder in its environment.
/// </summary>
public sealed class TunmuxSession : IDisposable
{
    private readonly TempDir _dir = new("tunmux-e2e-");
    private readonly Lab _lab;
    private readonly bool _direct;

    /// <param name="direct">Run in the direct-mode host stand-in (<c>ip netns exec &lt;lab&gt;-dhost</c>) instead of the proxy one.</param>
    public TunmuxSession(Lab lab, bool direct = false)
    {
        _lab = lab;
        _direct = direct;
        Directory.CreateDirectory(ConfigDir);
        File.WriteAllText(Path.Combine(ConfigDir, "config.toml"), "[general]\nprivileged_autostop_mode = \"command\"\n");
    }

    public Dictionary<string, string> Env { get; } = new();

    /// <summary>A prefix that runs every program of this session as another user (<see cref="Tunmux.TestSupport.LocalUser.Setpriv"/>); empty: root.</summary>
    public IReadOnlyList<string> RunAs { get; set; } = [];
    public string WorkDir => _dir.Path;
    public string ConfigDir => _dir.Combine("config");
    public string RuntimeDir => _dir.Combine("run");
    public string StateDir => _dir.Combine("state");
    public string Namespace => _direct ? _lab.DirectHostNamespace : _lab.HostNamespace;

    /// <summary>Runs <c>tunmux ARGS</c> in the stand-in.</summary>
    public LabResult Tunmux(params string[] args) => TunmuxWithInput(null, args);

    public LabResult TunmuxWithInput(string? stdin, params string[] args) => Exec(Dist.Executable, args, stdin, withTunmuxEnv: true);

    /// <summary>Runs any program in the stand-in (curl, ip, getent, cat).</summary>
    public LabResult Exec(string file, IReadOnlyList<string> args, string? stdin = null, bool withTunmuxEnv = false)
    {
        var env = new List<string>();
        if (withTunmuxEnv)
        {
            env.Add("TUNMUX_CONFIG_DIR=" + ConfigDir);
            env.Add("TUNMUX_RUNTIME_DIR=" + RuntimeDir);
            env.Add("TUNMUX_STATE_DIR=" + StateDir);
            env.AddRange(Env.Select(kv => kv.Key + "=" + kv.Value));
        }
        // Proxy mode: nsenter (network namespace only, like the demo). Direct mode: ip netns exec, so the
        // stand-in's /etc/netns/<ns>/resolv.conf is its /etc/resolv.conf.
        IReadOnlyList<string> prefix = _direct
            ? ["netns", "exec", Namespace, .. RunAs, "env"]
            : ["--net=/run/netns/" + Namespace, .. RunAs, "env"];
        return Lab.Run(_direct ? "ip" : "nsenter", [.. prefix, .. env, file, .. args], stdin, timeoutMs: 90_000);
    }

    public string Curl(params string[] args)
    {
        var r = Exec("curl", ["-sS", "-m", "8", .. args]);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    /// <summary>Routes, rules and addresses of the stand-in, to compare before and after.</summary>
    public string NetworkSnapshot()
    {
        string Ip(params string[] a) => Lab.Check(Lab.Run("ip", ["-n", Namespace, .. a]));
        return Ip("route", "show", "table", "all") + Ip("-6", "route", "show", "table", "all")
            + Ip("rule") + Ip("-6", "rule") + Ip("-brief", "address");
    }

    /// <summary><c>tunmux status --json</c>'s connections.</summary>
    public IReadOnlyList<JsonElement> Status() => StatusJson.Connections(Tunmux("status", "--json"));

    public void Dispose()
    {
        try { Tunmux("disconnect", "--all"); }
        finally
        {
            KillProcessesOfThisSession();
            _dir.Dispose();
        }
    }

    /// <summary>The daemon and anything it left: every process whose environment names this session's runtime folder.</summary>
    private void KillProcessesOfThisSession()
    {
        foreach (var signal in new[] { "TERM", "KILL" })
        {
            var pids = Processes();
            if (pids.Count == 0) return;
            foreach (var pid in pids) Lab.Run("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]);
            Thread.Sleep(300);
        }
    }

    /// <summary>Processes started for this session: their environment names its runtime folder (the daemon inherits it).</summary>
    public IReadOnlyList<int> Processes()
    {
        var marker = "TUNMUX_RUNTIME_DIR=" + RuntimeDir;
        var found = new List<int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(d, "environ"));
                if (environ.Split('\0').Contains(marker)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
