using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests.Support;

/// <summary>
/// The published tunmux (the release layout the user runs), built once per test run:
/// <c>TUNMUX_DIST</c> when set (build/test.sh publishes there), else <c>build/dist.sh</c>.
/// The proxies drop to 'nobody', so the folder must be reachable by it; when it is not, a copy
/// under /tmp is used, as dist.sh does.
/// </summary>
public static class Dist
{
    private static readonly Lazy<string> Folder = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Executable => Path.Combine(Folder.Value, "tunmux");

    private static string Resolve()
    {
        var root = RepoRoot();
        if (Environment.GetEnvironmentVariable("TUNMUX_DIST") is { Length: > 0 } given && File.Exists(Path.Combine(given, "tunmux")))
            return ReachableByNobody(given) ? given : CopyForNobody(given);
        var r = Lab.Run("bash", [Path.Combine(root, "build", "dist.sh")], timeoutMs: 600_000);
        if (!r.Ok) throw new InvalidOperationException("build/dist.sh failed: " + r);
        return r.Output.Trim().Split('\n')[^1].Trim();
    }

    private static bool ReachableByNobody(string dir) =>
        Lab.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", Path.Combine(dir, "tunmux")]).Ok;

    private static string CopyForNobody(string dir)
    {
        var copy = Path.Combine("/tmp", $"tunmux-dist-labtests-{Environment.ProcessId}");
        Lab.Check(Lab.Run("rm", ["-rf", copy]));
        Lab.Check(Lab.Run("cp", ["-a", dir, copy]));
        Lab.Check(Lab.Run("chmod", ["-R", "go+rX", copy]));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Lab.Run("rm", ["-rf", copy]);
        return copy;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build", "dist.sh"))) return dir.FullName;
        throw new FileNotFoundException("build/dist.sh not found above " + AppContext.BaseDirectory);
    }
}
