using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tunmux.Privileged;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>The outcome of one probe client run (see <see cref="ProbeProgram"/>).</summary>
public sealed record ProbeResult(int ExitCode, string Stdout, string Stderr)
{
    private JsonElement? Json => Stdout.Trim().Split('\n').LastOrDefault() is { Length: > 0 } line && line.StartsWith('{')
        ? JsonDocument.Parse(line).RootElement : null;

    public bool Ok => Json is { } j && j.GetProperty("ok").GetBoolean();
    public string? Code => Json is { } j && j.TryGetProperty("code", out var c) ? c.GetString() : null;
    public string? Message => Json is { } j && j.TryGetProperty("message", out var m) ? m.GetString() : null;
    public override string ToString() => $"exit {ExitCode}: {Stdout.Trim()} {Stderr.Trim()}";
}

/// <summary>
/// One daemon world in a temporary folder: runtime and state folders, a wrapper executable that runs the real
/// tunmux.dll with those folders (sudo resets the environment, so they are written into the wrapper), and every
/// daemon started in it tracked by PID and ended on dispose, even when a test fails.
/// </summary>
public sealed partial class DaemonSandbox : IDisposable
{
    public static readonly string TestDir = AppContext.BaseDirectory;
    public static readonly string TunmuxDll = Path.Combine(TestDir, "tunmux.dll");
    public static readonly string ProbeDll = Path.Combine(TestDir, "Tunmux.Daemon.Tests.dll");
    public static readonly string Dotnet = new FileInfo(Requires.Which("dotnet") ?? "/usr/bin/dotnet").ResolveLinkTarget(true)?.FullName
                                           ?? Requires.Which("dotnet") ?? "/usr/bin/dotnet";

    private readonly TempDir _temp = new("tunmux-daemon-test-");
    private readonly List<Process> _processes = [];

    public DaemonSandbox()
    {
        // Test users must reach the socket and run the wrapper; the private parts are created 0700 by the daemon.
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)0b111_101_101);
        Paths = new PrivilegedPaths(_temp.Combine("run"), _temp.Combine("state"));
        Wrapper = _temp.Combine("tunmux");
        File.WriteAllText(Wrapper,
            "#!/bin/sh\n" +
            $"export TUNMUX_RUNTIME_DIR='{Paths.RuntimeDir}' TUNMUX_STATE_DIR='{Paths.StateDir}' DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1\n" +
            $"exec '{Dotnet}' '{TunmuxDll}' \"$@\"\n");
        File.SetUnixFileMode(Wrapper, (UnixFileMode)0b111_101_101);
        XdgRuntimeDir = _temp.Combine("xdg");
        Directory.CreateDirectory(XdgRuntimeDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public PrivilegedPaths Paths { get; }

    /// <summary>TUNMUX_EXECUTABLE for clients: what autostart runs (through sudo) as the daemon.</summary>
    public string Wrapper { get; }

    /// <summary>Root's per-user lock folder parent in this sandbox (test users use /tmp/tunmux-$UID).</summary>
    public string XdgRuntimeDir { get; }

    public string Root => _temp.Path;

    public string LogText => File.Exists(Paths.DaemonLogFile) ? File.ReadAllText(Paths.DaemonLogFile) : "";

    /// <summary>PIDs of every daemon that logged it started listening in this sandbox.</summary>
    public IReadOnlyList<int> DaemonPids =>
        ListeningLine().Matches(LogText).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

    [GeneratedRegex(@"privileged daemon listening on .*?\(pid (\d+),")]
    private static partial Regex ListeningLine();

    public IDictionary<string, string> Environment(string? xdgRuntimeDir = null) => new Dictionary<string, string>
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = "/nonexistent",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["TUNMUX_RUNTIME_DIR"] = Paths.RuntimeDir,
        ["TUNMUX_STATE_DIR"] = Paths.StateDir,
        ["TUNMUX_EXECUTABLE"] = Wrapper,
        ["XDG_RUNTIME_DIR"] = xdgRuntimeDir ?? "",
    };

    /// <summary>Starts a daemon directly (as root) and waits until it answers.</summary>
    public Process StartDaemon(params string[] serveArgs) => StartDaemon(serveArgs, netns: null);

    /// <summary>Starts a daemon directly (as root), in network namespace <paramref name="netns"/> when given, and waits until it answers.</summary>
    public Process StartDaemon(string[] serveArgs, string? netns, Action<IDictionary<string, string>>? env = null)
    {
        var environment = Environment();
        env?.Invoke(environment);
        // The release's native proxy when the suite published one; else the proxy runs as this build's tunmux.
        if (System.Environment.GetEnvironmentVariable("TUNMUX_DIST") is { Length: > 0 } dist && File.Exists(Path.Combine(dist, "tunmux-proxy")))
            environment["TUNMUX_PROXY_EXECUTABLE"] = Path.Combine(dist, "tunmux-proxy");
        string[] command = [Dotnet, TunmuxDll, "privileged", "--serve", .. serveArgs];
        var p = netns is null
            ? Start(command[0], command[1..], environment)
            : Start("nsenter", ["--net=/run/netns/" + netns, .. command], environment);
        WaitUntil(() => RawClient.TryPing(Paths.SocketPath), TimeSpan.FromSeconds(15), "daemon did not answer on its socket");
        return p;
    }

    /// <summary>Starts any program in this sandbox's environment, tracked for cleanup.</summary>
    public Process Start(string file, IEnumerable<string> args, IDictionary<string, string> env, bool redirectStdin = false,
        string? workingDirectory = null, string? netns = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in env) if (v.Length > 0) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        lock (_processes) _processes.Add(p);
        return p;
    }

    /// <summary>Runs the probe client as <paramref name="user"/> (null: root) and returns its one-line verdict.</summary>
    public async Task<ProbeResult> ProbeAsync(string? user, string transport, bool autostart, string mode = "never",
        int timeoutMs = 30000, string? group = null, int holdMs = 0, Action<IDictionary<string, string>>? env = null,
        string? workingDirectory = null, string? netns = null)
    {
        var environment = Environment(user is null ? XdgRuntimeDir : null);
        env?.Invoke(environment);
        string[] probe = ["probe", transport, autostart ? "true" : "false", mode, timeoutMs.ToString(CultureInfo.InvariantCulture),
            group ?? TestAccounts.Group, holdMs.ToString(CultureInfo.InvariantCulture)];
        var (file, args) = user is null
            ? (Dotnet, (IEnumerable<string>)[ProbeDll, .. probe])
            : ("setpriv", ["--reuid", user, "--regid", TestAccounts.PrimaryGroupName(user), "--init-groups", Dotnet, ProbeDll, .. probe]);
        if (netns is not null) (file, args) = ("nsenter", ["--net=/run/netns/" + netns, file, .. args]);
        var p = Start(file, args, environment, workingDirectory: workingDirectory);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return new ProbeResult(p.ExitCode, await stdout, await stderr);
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException(what);
            Thread.Sleep(25);
        }
    }

    public static bool IsAlive(int pid) => ReadCmdline(pid) is { } cmd && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    private static string? ReadCmdline(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return null; }
    }

    /// <summary>Ends one daemon of this sandbox by PID (checked to be a tunmux daemon first).</summary>
    public static void KillDaemon(int pid)
    {
        if (ReadCmdline(pid) is not { } cmd || !cmd.Contains("privileged") || !cmd.Contains("--serve")) return;
        try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        foreach (var pid in DaemonPids) KillDaemon(pid);
        lock (_processes)
        {
            foreach (var p in _processes)
            {
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
        _temp.Dispose();
    }
}
