namespace Tunmux.Privileged.Processes;

/// <summary>
/// How to start this same tunmux again (for the daemon autostart and the proxy processes):
/// the apphost when published, else <c>dotnet tunmux.dll</c> in a development build.
/// <c>TUNMUX_EXECUTABLE</c> overrides it (packaging, tests).
/// </summary>
public static class SelfExecutable
{
    /// <summary>The file to execute and the arguments that must precede tunmux's own.</summary>
    public static (string File, IReadOnlyList<string> PrefixArgs) Resolve()
    {
        if (Environment.GetEnvironmentVariable("TUNMUX_EXECUTABLE") is { Length: > 0 } overridden)
            return (overridden, []);
        var process = Environment.ProcessPath ?? "tunmux";
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "tunmux.dll");
            return (process, [dll]);
        }
        return (process, []);
    }
}
