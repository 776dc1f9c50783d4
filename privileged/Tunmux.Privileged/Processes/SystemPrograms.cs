namespace Tunmux.Privileged.Processes;

/// <summary>
/// Programs the daemon starts by absolute path, looked up in the system's own folders only: a caller's
/// PATH or working folder can never put another program in their place.
/// </summary>
internal static class SystemPrograms
{
    private static readonly string[] SystemDirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The absolute path of <paramref name="name"/>, or an error naming the Debian package that installs it.</summary>
    public static string Resolve(string name, string debianPackage)
    {
        foreach (var dir in SystemDirs)
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new InvalidOperationException($"'{name}' is not installed (Debian package {debianPackage})");
    }

    public static string Ip => Resolve("ip", "iproute2");
    public static string Setpriv => Resolve("setpriv", "util-linux");
    public static string Shell => Resolve("sh", "dash");
}
