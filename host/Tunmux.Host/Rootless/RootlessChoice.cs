using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Rootless;

/// <summary>Whether a proxy exit is rootless, and why (the connect output says both).</summary>
/// <param name="Daemon">The daemon connection found while deciding, for the root-mode connect to use.</param>
internal sealed record RootlessChoice(bool Rootless, string Why, IPrivilegedClient? Daemon)
{
    /// <summary>
    /// <c>--rootless</c> or <c>general.rootless = "always"</c>: rootless. <c>"never"</c>: the daemon.
    /// <c>"auto"</c>: the daemon when one answers or can be started without a password (the caller is root, or
    /// sudo allows the exact daemon command without one); rootless otherwise.
    /// </summary>
    public static async Task<RootlessChoice> ChooseAsync(bool flag, GeneralConfig general, CancellationToken ct)
    {
        if (flag) return new(true, "--rootless", null);
        switch (general.Rootless)
        {
            case "always": return new(true, "general.rootless = \"always\"", null);
            case "never": return new(false, "general.rootless = \"never\"", null);
        }

        var options = DaemonAccess.Options(general);
        try
        {
            if (options.Transport == "socket" && await PrivilegedClient.TryConnectAsync(options, ct) is { } client)
                return new(false, "auto: the tunmux daemon is running", client);
        }
        catch (PrivilegedException e) when (e.Code == ErrorCodes.Unauthorized)
        {
            return new(true, $"auto: the running tunmux daemon does not accept this user (not in group {general.PrivilegedAuthorizedGroup})", null);
        }
        if (DaemonLauncher.IsRoot) return new(false, "auto: running as root, the daemon starts without sudo", null);
        if (!general.PrivilegedAutostart) return new(true, "auto: no tunmux daemon is running and privileged_autostart is off", null);
        return await SudoWithoutPasswordAsync(options, ct)
            ? new(false, "auto: sudo starts the tunmux daemon without a password", null)
            : new(true, "auto: no tunmux daemon is running and sudo cannot start one without a password", null);
    }

    /// <summary><c>sudo -n -l &lt;daemon command&gt;</c>: whether sudo would run exactly that command now, without asking.</summary>
    private static async Task<bool> SudoWithoutPasswordAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        string sudo;
        try { sudo = DaemonLauncher.FindSudo(); }
        catch (PrivilegedException) { return false; }
        var (self, _) = Tunmux.Privileged.Processes.SelfExecutable.Resolve();
        using var process = DaemonLauncher.StartRedirected(sudo,
            ["-n", "-l", self, .. DaemonLauncher.DaemonArgs(options, stdio: options.Transport == "stdio")], "to ask sudo");
        process.StandardInput.Close();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(ct), process.StandardError.ReadToEndAsync(ct));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await drain;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            return false;
        }
        return process.ExitCode == 0;
    }
}
