using System.Diagnostics;
using System.Globalization;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>
/// Builds and runs the commands that start the daemon as root: <c>sudo -n [-b] &lt;tunmux&gt; privileged --serve ...</c>,
/// or the same without sudo (in a new session) when the caller already is root.
/// </summary>
internal static class DaemonLauncher
{
    /// <summary>The daemon's argument vector after the executable (the exact lines the sudoers entries allow).</summary>
    public static IReadOnlyList<string> DaemonArgs(PrivilegedClientOptions options, bool stdio)
    {
        var (_, prefix) = SelfExecutable.Resolve();
        var args = new List<string>(prefix) { "privileged", "--serve" };
        if (stdio) args.Add("--stdio");
        args.AddRange(["--autostarted", "--authorized-group", options.AuthorizedGroup]);
        if (!stdio && options.AutostopMode == "timeout")
            args.AddRange(["--idle-timeout-ms", options.AutostopTimeoutMs.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }

    public static bool IsRoot => Native.GetUid() == 0;

    /// <summary>sudo's full path, or the one-line error when it is not installed.</summary>
    public static string FindSudo()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "sudo");
            if (File.Exists(candidate)) return candidate;
        }
        throw new PrivilegedException(ClientErrorCodes.SudoMissing, ClientMessages.SudoNotFound);
    }

    /// <summary>A terminal sudo could ask a password on (it reads from /dev/tty, not from our stdin).</summary>
    public static bool HasTty()
    {
        try
        {
            using var tty = File.Open("/dev/tty", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>sudo -n's ways of saying it would need a password.</summary>
    public static bool IsPasswordRequired(string sudoStderr) =>
        sudoStderr.Contains("password is required", StringComparison.OrdinalIgnoreCase)
        || sudoStderr.Contains("terminal is required", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Starts the socket daemon in the background and returns once the launching command has exited.
    /// Not <see cref="ProcessRunner"/>: the daemon inherits the launcher's output pipes until it is listening,
    /// and this must not wait on them beyond <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Stderr)> StartBackgroundAsync(PrivilegedClientOptions options, TimeSpan timeout, CancellationToken ct)
    {
        var (self, _) = SelfExecutable.Resolve();
        var daemonArgs = DaemonArgs(options, stdio: false);
        var (file, args) = IsRoot
            ? ("setsid", (IReadOnlyList<string>)["-f", self, .. daemonArgs])
            : (FindSudo(), ["-n", "-b", self, .. daemonArgs]);

        using var process = StartRedirected(file, args, "to start the privileged daemon");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            try { process.Kill(entireProcessTree: false); } catch (InvalidOperationException) { }
            return (124, "");
        }
        // Output from sudo itself is complete once it exits; the daemon's copy of the pipe may stay open a moment longer.
        var text = await Task.WhenAny(stderr, Task.Delay(TimeSpan.FromMilliseconds(500), ct)).ConfigureAwait(false) == stderr ? await stderr : "";
        return (process.ExitCode, text);
    }

    /// <summary>
    /// Starts <paramref name="file"/> with its three standard streams as pipes; a program that cannot be
    /// run is one <see cref="ClientErrorCodes.LaunchFailed"/> line ending in <paramref name="purpose"/>.
    /// </summary>
    public static Process StartRedirected(string file, IReadOnlyList<string> args, string purpose)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
            return process;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new PrivilegedException(ClientErrorCodes.LaunchFailed, $"cannot run {file} {purpose}: {e.Message}");
        }
    }

    /// <summary><c>sudo -v</c> on the user's terminal, so the next <c>sudo -n</c> finds a fresh credential.</summary>
    public static async Task<bool> ValidateSudoInteractivelyAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo(FindSudo()) { UseShellExecute = false };
        psi.ArgumentList.Add("-v");
        using var process = Process.Start(psi)
            ?? throw new PrivilegedException(ClientErrorCodes.LaunchFailed, "cannot run sudo -v");
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return process.ExitCode == 0;
    }

    /// <summary>Last non-empty line of a command's error output, for a one-line message.</summary>
    public static string LastLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[^1] : "no error output";
    }
}
