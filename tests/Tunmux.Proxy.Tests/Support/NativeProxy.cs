namespace Tunmux.Proxy.Tests.Support;

/// <summary>The native tunmux-proxy of the published release layout (<c>TUNMUX_DIST</c>), when there is one.</summary>
internal static class NativeProxy
{
    public static string? Path =>
        Environment.GetEnvironmentVariable("TUNMUX_DIST") is { Length: > 0 } dist
        && System.IO.Path.Combine(dist, "tunmux-proxy") is var native && File.Exists(native)
            ? native
            : null;
}
