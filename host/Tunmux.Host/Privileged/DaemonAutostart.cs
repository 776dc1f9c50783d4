using System.Diagnostics;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>
/// Starts the socket daemon when none answers: under a per-user lock (so two commands started together
/// launch one daemon), through <c>sudo -n -b</c> (after one <c>sudo -v</c> when a password is needed and a
/// terminal is there), then waits until the daemon answers a ping, all within the autostart timeout.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class DaemonAutostart
{
    private const string LockFileName = "privileged-start.lock";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RelaunchAfter = TimeSpan.FromSeconds(4);

    public static async Task<IPrivilegedClient> StartAndConnectAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromMilliseconds(Math.Max(100, options.AutostartTimeoutMs));
        TimeSpan Left() => budget - clock.Elapsed;

        await using var startLock = await AcquireStartLockAsync(options, Left, ct).ConfigureAwait(false);
        if (startLock is null)
        {
            // Someone else held the lock all along; they may well have started it.
            return await PrivilegedClient.TryConnectAsync(options, ct).ConfigureAwait(false)
                ?? throw new PrivilegedException(ClientErrorCodes.StartupTimeout, ClientMessages.StartupTimeout);
        }

        // Whoever held the lock before us may have started it meanwhile.
        if (await PrivilegedClient.TryConnectAsync(options, ct).ConfigureAwait(false) is { } ready) return ready;

        await LaunchAsync(options, Left, ct).ConfigureAwait(false);
        var launched = Stopwatch.StartNew();
        var seenSocket = false;

        while (Left() > TimeSpan.Zero)
        {
            if (await PrivilegedClient.TryConnectAsync(options, ct).ConfigureAwait(false) is { } client) return client;
            var socketThere = File.Exists(options.Paths.SocketPath);
            seenSocket |= socketThere;
            // The daemon we started came up and already went (another command's shutdown_if_idle won the race):
            // start it again. A daemon still starting keeps the lock, so a second launch would only step aside.
            if (!socketThere && (seenSocket || launched.Elapsed > RelaunchAfter))
            {
                await LaunchAsync(options, Left, ct).ConfigureAwait(false);
                launched.Restart();
                seenSocket = false;
            }
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
        throw new PrivilegedException(ClientErrorCodes.StartupTimeout, ClientMessages.StartupTimeout);
    }

    private static async Task LaunchAsync(PrivilegedClientOptions options, Func<TimeSpan> left, CancellationToken ct)
    {
        var (code, stderr) = await DaemonLauncher.StartBackgroundAsync(options, Positive(left()), ct).ConfigureAwait(false);
        if (code == 0) return;
        if (code == 124) throw new PrivilegedException(ClientErrorCodes.StartupTimeout, ClientMessages.StartupTimeout);

        if (!DaemonLauncher.IsRoot && DaemonLauncher.IsPasswordRequired(stderr))
        {
            if (!DaemonLauncher.HasTty())
                throw new PrivilegedException(ClientErrorCodes.SudoPassword, ClientMessages.SudoPasswordNoTty);
            // The password prompt is the user's time, not the daemon's startup time. sudo writes it to the
            // terminal itself, so a step line showing there is cleared first.
            Output.StepLine.Active?.Clear();
            if (!await DaemonLauncher.ValidateSudoInteractivelyAsync(ct).ConfigureAwait(false))
                throw new PrivilegedException(ClientErrorCodes.SudoPassword, "sudo did not accept the password; the privileged daemon was not started");
            (code, stderr) = await DaemonLauncher.StartBackgroundAsync(options, Positive(left()), ct).ConfigureAwait(false);
            if (code == 0) return;
        }
        throw new PrivilegedException(ClientErrorCodes.LaunchFailed,
            $"could not start the privileged daemon: {DaemonLauncher.LastLine(stderr)} (see the sudoers lines in docs/privileged.md)");
    }

    /// <summary>
    /// The per-user startup lock (<c>$XDG_RUNTIME_DIR/tunmux</c> or <c>/tmp/tunmux-$UID</c>), or null when
    /// another command held it for the whole budget.
    /// </summary>
    private static async Task<FileStream?> AcquireStartLockAsync(PrivilegedClientOptions options, Func<TimeSpan> left, CancellationToken ct)
    {
        var dir = TunmuxPaths.PrivateUserRuntimeDir();
        var path = Path.Combine(dir, LockFileName);
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix; it is released when the file is closed, even if we die.
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (left() > TimeSpan.Zero)
            {
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.FromMilliseconds(100) ? t : TimeSpan.FromMilliseconds(100);
}
