using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// The programs a rootless exit runs, found once, and the checks that name each missing piece in
/// one line with the way to fix it (before anything is started).
/// </summary>
public sealed class RootlessTools
{
    public required string Unshare { get; init; }
    public required string Nsenter { get; init; }
    public required string Setpriv { get; init; }
    public required string Ip { get; init; }
    public required string Wg { get; init; }
    public required string WireGuardGo { get; init; }

    /// <summary><c>pasta</c> or <c>slirp4netns</c>.</summary>
    public required string OutsideLink { get; init; }
    public required string OutsideLinkPath { get; init; }

    /// <summary>Test hooks: the files the checks read.</summary>
    internal static string ProcSys { get; set; } = "/proc/sys";
    internal static string TunDevice { get; set; } = "/dev/net/tun";

    /// <summary>
    /// Finds every program and checks the kernel side; throws <see cref="PrivilegedException"/> naming the
    /// first missing piece. <paramref name="preferredLink"/> (<c>pasta</c>, <c>slirp4netns</c> or null) picks the outside link.
    /// </summary>
    public static RootlessTools Find(Func<string, string?> which, string? preferredLink = null)
    {
        CheckUserNamespaces();
        string Need(string command, string package) =>
            which(command) ?? throw Missing($"'{command}' is not installed; rootless exits need it: sudo apt install {package}");

        var unshare = Need("unshare", "util-linux");
        var nsenter = Need("nsenter", "util-linux");
        var setpriv = Need("setpriv", "util-linux");
        var ip = Need("ip", "iproute2");
        var wg = Need("wg", "wireguard-tools");
        var wireguardGo = which("wireguard-go") ?? throw Missing(
            "wireguard-go is not installed; rootless exits run WireGuard in userspace inside the user's namespace: sudo apt install wireguard-go");

        var pasta = preferredLink is null or "pasta" ? which("pasta") : null;
        var slirp = preferredLink is null or "slirp4netns" ? which("slirp4netns") : null;
        var (link, path) = pasta is not null ? ("pasta", pasta)
            : slirp is not null ? ("slirp4netns", slirp)
            : throw Missing(preferredLink is null
                ? "neither pasta nor slirp4netns is installed; a rootless exit needs one as its way out: sudo apt install passt"
                : $"{preferredLink} is not installed; install it (sudo apt install {(preferredLink == "pasta" ? "passt" : preferredLink)})");

        CheckTun();
        return new RootlessTools
        {
            Unshare = unshare, Nsenter = nsenter, Setpriv = setpriv, Ip = ip, Wg = wg, WireGuardGo = wireguardGo,
            OutsideLink = link, OutsideLinkPath = path,
        };
    }

    /// <summary>The programs by whatever path is found, without checks: for taking an exit down or entering it.</summary>
    public static RootlessTools Lenient(Func<string, string?> which)
    {
        string Find(string command) => which(command) ?? command;
        return new RootlessTools
        {
            Unshare = Find("unshare"), Nsenter = Find("nsenter"), Setpriv = Find("setpriv"), Ip = Find("ip"), Wg = Find("wg"),
            WireGuardGo = Find("wireguard-go"), OutsideLink = "pasta", OutsideLinkPath = Find("pasta"),
        };
    }

    /// <summary>Unprivileged user namespaces: off on some kernels by a sysctl (Debian's older one, or the generic limit).</summary>
    private static void CheckUserNamespaces()
    {
        if (ReadSysctl("kernel/unprivileged_userns_clone") == "0")
            throw Missing("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0); rootless exits need them: sudo sysctl -w kernel.unprivileged_userns_clone=1");
        if (ReadSysctl("user/max_user_namespaces") == "0")
            throw Missing("user namespaces are disabled (user.max_user_namespaces = 0); rootless exits need them: sudo sysctl -w user.max_user_namespaces=15000");
    }

    /// <summary>
    /// wireguard-go and pasta each open /dev/net/tun as the user. Stock Debian, Ubuntu and Fedora make it
    /// 0666 (the kernel still asks for CAP_NET_ADMIN in the namespace, which the user has in its own).
    /// </summary>
    private static void CheckTun()
    {
        if (!File.Exists(TunDevice))
            throw Missing($"{TunDevice} does not exist; rootless exits need the TUN device: sudo modprobe tun");
        try
        {
            using var tun = new FileStream(TunDevice, FileMode.Open, FileAccess.ReadWrite);
        }
        catch (UnauthorizedAccessException)
        {
            var mode = Convert.ToString((int)File.GetUnixFileMode(TunDevice), 8).PadLeft(4, '0');
            throw Missing($"{TunDevice} is not usable by this user (mode {mode}); rootless exits need it read-write for everyone, " +
                          $"as stock Debian, Ubuntu and Fedora ship it: sudo chmod 0666 {TunDevice} (and a udev rule KERNEL==\"tun\", MODE=\"0666\" to keep it)");
        }
        catch (IOException e)
        {
            throw Missing($"{TunDevice} cannot be opened ({e.Message}); rootless exits need the TUN device: sudo modprobe tun");
        }
    }

    /// <summary>Why creating the namespaces failed, when the system says why: Ubuntu's AppArmor restriction, most of all.</summary>
    public static string ExplainNamespaceFailure(string error)
    {
        if (ReadSysctl("kernel/apparmor_restrict_unprivileged_userns") == "1")
            return $"{error}: AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns = 1); " +
                   $"install the profile tunmux ships: sudo install -m 644 {AppArmorProfile()} /etc/apparmor.d/tunmux && " +
                   "sudo apparmor_parser -r /etc/apparmor.d/tunmux";
        return $"{error}: the kernel refused an unprivileged user namespace; check user.max_user_namespaces and any security module restricting them";
    }

    /// <summary>The profile as installed (<c>&lt;prefix&gt;/share/tunmux/apparmor/tunmux</c> beside <c>&lt;prefix&gt;/lib/tunmux</c>), else its place in the source.</summary>
    private static string AppArmorProfile()
    {
        var installed = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "share", "tunmux", "apparmor", "tunmux"));
        return File.Exists(installed) ? installed : "build/apparmor/tunmux (from the tunmux source)";
    }

    private static string? ReadSysctl(string name)
    {
        try { return File.ReadAllText(Path.Combine(ProcSys, name)).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static PrivilegedException Missing(string message) => new(ErrorCodes.Failed, message);
}
