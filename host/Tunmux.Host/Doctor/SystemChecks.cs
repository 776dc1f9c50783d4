using System.Globalization;
using Tunmux.Host.Config;

namespace Tunmux.Host.Doctor;

/// <summary>What the kernel and the installed programs give tunmux: WireGuard, tools, TUN, user namespaces, nftables, the clock.</summary>
internal sealed class SystemChecks(Machine machine)
{
    public CheckResult WireGuard()
    {
        const string name = "wireguard";
        if (machine.Exists("/sys/module/wireguard")) return CheckResult.Ok(name, "kernel module loaded");
        var release = machine.ReadLine("/proc/sys/kernel/osrelease");
        if (release is not null && KernelHasModule(release, "wireguard"))
            return CheckResult.Ok(name, "kernel module available (loaded on first use)");
        foreach (var userspace in new[] { "wireguard-go", "boringtun" })
        {
            if (machine.Tool(userspace) is not null)
                return CheckResult.Ok(name, $"no kernel module; {userspace} is used instead");
        }
        return CheckResult.Fail(name, "no WireGuard: the kernel has no wireguard module and neither wireguard-go nor boringtun is installed",
            "sudo apt install wireguard-go (or boot a kernel with WireGuard: sudo modprobe wireguard)");
    }

    private bool KernelHasModule(string release, string module)
    {
        foreach (var list in new[] { "modules.builtin", "modules.dep" })
        {
            var file = machine.PathOf($"/lib/modules/{release}/{list}");
            try
            {
                if (File.Exists(file) && File.ReadLines(file).Any(l => l.Split(':')[0].EndsWith($"/{module}.ko", StringComparison.Ordinal)
                        || l.Split(':')[0].Contains($"/{module}.ko.", StringComparison.Ordinal)))
                    return true;
            }
            catch (IOException) { }
        }
        return false;
    }

    public CheckResult Tools()
    {
        const string name = "tools";
        (string Tool, string Package)[] needed =
            [("ip", "iproute2"), ("wg", "wireguard-tools"), ("setpriv", "util-linux"), ("nsenter", "util-linux"), ("unshare", "util-linux")];
        var missing = needed.Where(n => machine.Tool(n.Tool) is null).ToList();
        if (missing.Count == 0) return CheckResult.Ok(name, string.Join(", ", needed.Select(n => n.Tool)) + " installed");
        return CheckResult.Fail(name, "missing: " + string.Join(", ", missing.Select(m => $"{m.Tool} ({m.Package})")),
            "sudo apt install " + string.Join(' ', missing.Select(m => m.Package).Distinct()));
    }

    /// <summary>/dev/net/tun: wireguard-go opens it, for a rootless exit as this user.</summary>
    public CheckResult Tun()
    {
        const string name = "tun";
        var path = machine.PathOf("/dev/net/tun");
        if (!File.Exists(path))
            return CheckResult.Fail(name, "/dev/net/tun is missing", "sudo modprobe tun (in a container: pass the device in, e.g. --device /dev/net/tun)");
        var info = new FileInfo(path);
        var mode = info.UnixFileMode;
        uint owner, group;
        try
        {
            var stat = PosixStat(path);
            (owner, group) = (stat.Uid, stat.Gid);
        }
        catch (IOException)
        {
            (owner, group) = (0, 0);
        }
        var readWrite = machine.Uid == 0
            || (mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) == (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)
            || (owner == machine.Uid && (mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite)) == (UnixFileMode.UserRead | UnixFileMode.UserWrite))
            || (machine.ProcessGroups.Contains(group) && (mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite)) == (UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        if (!readWrite)
            return CheckResult.Fail(name, $"/dev/net/tun is not readable and writable by {machine.UserName} (mode {Convert.ToString((int)mode, 8)})",
                "sudo chmod 0666 /dev/net/tun (its usual mode; opening it grants nothing without CAP_NET_ADMIN)");
        return CheckResult.Ok(name, "/dev/net/tun usable by " + machine.UserName);
    }

    /// <summary>Rootless exits: a user namespace with a network namespace, pasta or slirp4netns for the way out, wireguard-go inside.</summary>
    public CheckResult UserNamespaces(GeneralConfig general)
    {
        const string name = "userns";
        var mode = RootlessMode(general);
        if (mode == "never") return CheckResult.Skip(name, "rootless exits are off (general.rootless = \"never\")");

        var problems = new List<(string Why, string Fix)>();
        if (machine.ReadLine("/proc/sys/kernel/unprivileged_userns_clone") == "0")
            problems.Add(("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
                "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and put it in /etc/sysctl.d/ to keep it)"));
        if (machine.ReadLine("/proc/sys/user/max_user_namespaces") == "0")
            problems.Add(("user namespaces are disabled (user.max_user_namespaces = 0)",
                "sudo sysctl -w user.max_user_namespaces=15000 (and put it in /etc/sysctl.d/ to keep it)"));
        if (machine.ReadLine("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" && !AppArmorProfileLoaded())
            problems.Add(("AppArmor restricts user namespaces and the tunmux profile is not loaded",
                machine.Exists("/etc/apparmor.d/tunmux")
                    ? "sudo apparmor_parser -r /etc/apparmor.d/tunmux"
                    : "install the profile: sudo install -m 644 <prefix>/share/tunmux/apparmor/tunmux /etc/apparmor.d/ && sudo apparmor_parser -r /etc/apparmor.d/tunmux"));
        if (machine.Tool("pasta") is null && machine.Tool("slirp4netns") is null)
            problems.Add(("neither pasta nor slirp4netns is installed (a rootless exit's way out)", "sudo apt install passt"));
        if (machine.Tool("wireguard-go") is null)
            problems.Add(("wireguard-go is not installed (rootless exits run it inside their namespace)", "sudo apt install wireguard-go"));

        if (problems.Count == 0) return CheckResult.Ok(name, "rootless exits possible: user namespaces allowed, " +
                                                             (machine.Tool("pasta") is not null ? "pasta" : "slirp4netns") + " and wireguard-go installed");
        var detail = "rootless exits not possible: " + string.Join("; ", problems.Select(p => p.Why));
        var fix = string.Join("; ", problems.Select(p => p.Fix));
        // With rootless exits asked for, this is a failure; in "auto" the daemon can carry proxy exits instead.
        return mode == "always" ? CheckResult.Fail(name, detail, fix) : CheckResult.Warn(name, detail, fix);
    }

    private bool AppArmorProfileLoaded()
    {
        var file = machine.PathOf("/sys/kernel/security/apparmor/profiles");
        try
        {
            return File.Exists(file) && File.ReadLines(file).Any(l => l.StartsWith("tunmux ", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary><c>general.rootless</c> when the configuration knows it (auto otherwise).</summary>
    private static string RootlessMode(GeneralConfig general) =>
        general.GetType().GetProperty("Rootless")?.GetValue(general) as string ?? "auto";

    public CheckResult Nftables()
    {
        const string name = "nftables";
        return machine.Tool("nft") is { } nft
            ? CheckResult.Ok(name, $"{nft} installed (kill switch and lockdown)")
            : CheckResult.Fail(name, "nft is not installed: the kill switch and lockdown cannot work", "sudo apt install nftables");
    }

    /// <summary>A clock behind this tunmux's build date is certainly wrong, and TLS certificates will not validate.</summary>
    public CheckResult Clock()
    {
        const string name = "clock";
        var now = machine.Now();
        var fixTime = "sudo timedatectl set-ntp true (or set it by hand: sudo date -s 'YYYY-MM-DD hh:mm')";
        if (now < machine.NotBefore.AddDays(-1))
            return CheckResult.Fail(name,
                $"the clock says {now.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, before this tunmux was built " +
                $"({machine.NotBefore.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}): TLS certificates will not validate",
                fixTime);
        return machine.ClockSynchronized() switch
        {
            false => CheckResult.Warn(name, "the clock is not synchronized with a time server; certificates may be refused if it drifts", "sudo timedatectl set-ntp true"),
            true => CheckResult.Ok(name, "synchronized with a time server"),
            null => CheckResult.Ok(name, $"plausible ({now.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)"),
        };
    }

    private static (uint Uid, uint Gid) PosixStat(string path)
    {
        // .NET exposes a file's mode but not its owner; stat(1)'s numbers are enough here.
        var result = Tunmux.Privileged.Processes.ProcessRunner.Default.RunAsync("stat", ["-L", "-c", "%u %g", path], timeout: TimeSpan.FromSeconds(5))
            .GetAwaiter().GetResult();
        var parts = result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!result.Succeeded || parts.Length != 2) throw new IOException("stat failed: " + result.StandardError.Trim());
        return (uint.Parse(parts[0], CultureInfo.InvariantCulture), uint.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
