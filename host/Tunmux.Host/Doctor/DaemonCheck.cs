using Tunmux.Host.Cli;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Privileged;

namespace Tunmux.Host.Doctor;

/// <summary>
/// Whether this user can reach the privileged daemon now, or start it when a command needs it: the
/// socket, the group (in the database and in this login session, since the kernel checks the
/// session's groups on the socket), and sudo allowing the exact command the autostart runs.
/// </summary>
internal sealed class DaemonCheck(Machine machine)
{
    private const string Name = "daemon";

    public async Task<CheckResult> RunAsync(GeneralConfig general, CancellationToken ct)
    {
        var options = DaemonAccess.Options(general);
        var group = general.PrivilegedAuthorizedGroup;
        var probe = await machine.ProbeDaemon(options, ct);
        switch (probe.State)
        {
            case DaemonState.Reachable when probe.Version != CliApp.Version:
                return CheckResult.Warn(Name, $"running, but it is tunmux {probe.Version} and this is {CliApp.Version}",
                    "restart it so the installed version serves: sudo systemctl restart tunmux-privileged.service (or stop it: the next command starts the new one)");
            case DaemonState.Reachable:
                return CheckResult.Ok(Name, $"running (tunmux {probe.Version}) and serving {machine.UserName}");
            case DaemonState.Denied:
                return await MembershipProblemAsync(group, ct)
                       ?? CheckResult.Fail(Name, $"running, but it refuses {machine.UserName}: {probe.Error}", $"sudo usermod -aG {group} {machine.UserName}, then log in again");
            case DaemonState.Broken:
                return CheckResult.Fail(Name, "the daemon's socket answers but the daemon does not: " + probe.Error,
                    "restart it: sudo systemctl restart tunmux-privileged.service (its log: /var/lib/tunmux/daemon.log)");
        }

        if (machine.Uid == 0) return CheckResult.Ok(Name, "not running; started directly when a command needs it (root)");
        if (!general.PrivilegedAutostart)
            return CheckResult.Fail(Name, "not running, and privileged_autostart = false",
                "start it: sudo systemctl enable --now tunmux-privileged.socket (or set privileged_autostart = true in config.toml)");
        if (await MembershipProblemAsync(group, ct) is { } membership) return membership;
        return await SudoAsync(options, group, ct);
    }

    /// <summary>Null when this user is in the group both in the database and in this session.</summary>
    private async Task<CheckResult?> MembershipProblemAsync(string group, CancellationToken ct)
    {
        if (machine.Uid == 0) return null;
        var entry = await machine.GroupAsync(group, ct);
        if (entry is null)
            return CheckResult.Fail(Name, $"the group '{group}' does not exist", $"sudo groupadd --system {group} && sudo usermod -aG {group} {machine.UserName}, then log in again");
        var primary = await machine.PrimaryGidAsync(ct);
        var member = entry.Members.Contains(machine.UserName, StringComparer.Ordinal) || primary == entry.Gid;
        if (!member)
            return CheckResult.Fail(Name, $"{machine.UserName} is not in the group '{group}', whose members may use the daemon",
                $"sudo usermod -aG {group} {machine.UserName}, then log in again");
        if (!machine.ProcessGroups.Contains(entry.Gid))
            return CheckResult.Fail(Name, $"{machine.UserName} joined the group '{group}' after this login began",
                $"log in again (or start a shell in the group: newgrp {group})");
        return null;
    }

    /// <summary><c>sudo -n -l &lt;the autostart's exact command&gt;</c>: allowed without a password, with one, or not at all.</summary>
    private async Task<CheckResult> SudoAsync(PrivilegedClientOptions options, string group, CancellationToken ct)
    {
        // The autostart's exact words after the executable, with this machine's executable and prefix.
        var own = Tunmux.Privileged.Processes.SelfExecutable.Resolve().PrefixArgs.Count;
        IReadOnlyList<string> command = [.. machine.DaemonPrefixArgs, .. DaemonLauncher.DaemonArgs(options, stdio: options.Transport == "stdio").Skip(own)];
        var line = $"{machine.DaemonExecutable} {string.Join(' ', command)}";
        var install = $"the sudoers lines for {machine.DaemonExecutable} (see docs/privileged.md; the package installs them in /etc/sudoers.d/tunmux), " +
                      "or start the daemon through systemd: sudo systemctl enable --now tunmux-privileged.socket";
        if (machine.Tool("sudo") is not { } sudo)
            return CheckResult.Fail(Name, "not running, and sudo is not installed to start it", "sudo systemctl enable --now tunmux-privileged.socket, or install sudo and " + install);
        var result = await machine.RunAsync(sudo, ["-n", "-l", machine.DaemonExecutable, .. command], ct);
        if (result.Succeeded)
            return CheckResult.Ok(Name, $"not running; started through sudo when a command needs it (sudoers allows {line})");
        if (DaemonLauncher.IsPasswordRequired(result.StandardError))
            return CheckResult.Warn(Name, $"not running; sudo asks for a password to start it (no NOPASSWD line for {line})", "install " + install);
        return CheckResult.Fail(Name, $"not running, and sudo does not allow {machine.UserName} to start it ({line})", "install " + install);
    }
}
