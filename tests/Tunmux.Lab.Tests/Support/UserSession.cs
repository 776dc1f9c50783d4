using System.Globalization;
using System.Text.Json;
using Tunmux.TestSupport.Lab;
using Tunmux.TestSupport.Users;

namespace Tunmux.LabTests.Support;

/// <summary>
/// The published tunmux run as a test user (<see cref="TestUser"/>, created by the test setup) in the lab's proxy
/// host stand-in: <c>nsenter --net</c>, then <c>setpriv</c> to the user with a plain environment, the user's own
/// config folder and rootless runtime folder, and the daemon's runtime folder when a test runs one.
/// Dispose disconnects everything the user has and ends every process of the user.
/// </summary>
public sealed class UserSession(Lab lab, TestUser user, string? daemonRuntimeDir = null) : IDisposable
{
    public TestUser User { get; } = user;
    public string ConfigDir => Path.Combine(User.Home, "config");
    public string RuntimeDir => Path.Combine(User.Home, "run");

    /// <summary>Writes config.toml (as the user's own file).</summary>
    public void Config(string toml)
    {
        Directory.CreateDirectory(ConfigDir);
        File.WriteAllText(Path.Combine(ConfigDir, "config.toml"), toml);
        LocalUsers.Run("chown", "-R", $"{User.Uid}:{User.Gid}", ConfigDir);
    }

    /// <summary>A file the user owns, for <c>--file</c>.</summary>
    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(User.Home, name);
        File.WriteAllText(path, text);
        LocalUsers.Run("chown", $"{User.Uid}:{User.Gid}", path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>
        {
            ["TUNMUX_CONFIG_DIR"] = ConfigDir,
            ["TUNMUX_USER_RUNTIME_DIR"] = RuntimeDir,
        };
        if (daemonRuntimeDir is not null) env["TUNMUX_RUNTIME_DIR"] = daemonRuntimeDir;
        return env;
    }

    /// <summary>Any program as the user in the stand-in.</summary>
    public LabResult Run(string file, IReadOnlyList<string> args, string? stdin = null, int timeoutMs = 90_000) =>
        Lab.Run("nsenter", ["--net=/run/netns/" + lab.HostNamespace, .. User.AsUser(Environment()), file, .. args], stdin, timeoutMs: timeoutMs);

    public LabResult Tunmux(params string[] args) => Run(Dist.Executable, args);

    public LabResult TunmuxWithInput(string stdin, params string[] args) => Run(Dist.Executable, args, stdin);

    public string Curl(params string[] args)
    {
        var r = Run("curl", ["-sS", "-m", "8", .. args]);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    /// <summary><c>tunmux status --json</c>'s connections.</summary>
    public IReadOnlyList<JsonElement> Status() => StatusJson.Connections(Tunmux("status", "--json"));

    public void Dispose()
    {
        try { Tunmux("disconnect", "--all"); }
        finally
        {
            foreach (var pid in User.Processes())
                Lab.Run("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)]);
        }
    }
}
