using Tunmux.Privileged.Processes;

namespace Tunmux.Privileged.Proxy.Launch;

/// <summary>
/// The program the launcher runs as an instance's proxy: the native <c>tunmux-proxy</c> installed
/// beside <c>tunmux</c> (the release layout; it starts in milliseconds and holds a few MiB), else
/// this tunmux itself as <c>tunmux privileged proxy</c> (development builds, which have no native
/// build). Both run the same proxy code. <c>TUNMUX_PROXY_EXECUTABLE</c> overrides the choice.
/// </summary>
public static class ProxyExecutable
{
    public const string NativeFileName = "tunmux-proxy";

    /// <summary>The file to execute and the arguments that must precede the proxy's own.</summary>
    public static (string File, IReadOnlyList<string> PrefixArgs) Resolve()
    {
        if (Environment.GetEnvironmentVariable("TUNMUX_PROXY_EXECUTABLE") is { Length: > 0 } overridden)
            return (overridden, []);
        var (self, prefix) = SelfExecutable.Resolve();
        if (prefix.Count == 0 && Path.GetDirectoryName(self) is { Length: > 0 } dir
            && Path.Combine(dir, NativeFileName) is var native && File.Exists(native))
            return (native, []);
        return (self, [.. prefix, "privileged", "proxy"]);
    }
}
