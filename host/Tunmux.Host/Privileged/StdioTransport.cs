using System.Diagnostics;
using System.Text;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>
/// The stdio transport: a helper daemon for this command only, <c>sudo -n &lt;tunmux&gt; privileged --serve --stdio ...</c>
/// (run directly when already root), speaking the protocol on its stdin/stdout. It ends when we close its stdin.
/// </summary>
internal sealed class StdioTransport : IAsyncDisposable
{
    private const int MaxStderrChars = 16 << 10;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;

    private StdioTransport(Process process)
    {
        _process = process;
        _stderrPump = PumpStderrAsync();
    }

    public static async Task<IPrivilegedClient> ConnectAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        var transport = Start(options);
        try
        {
            return await transport.HandshakeAsync(options, ct).ConfigureAwait(false);
        }
        catch (PrivilegedException e) when (e.Code == ClientErrorCodes.SudoPassword && DaemonLauncher.HasTty())
        {
            // One interactive sudo -v, then the non-interactive start again.
            if (!await DaemonLauncher.ValidateSudoInteractivelyAsync(ct).ConfigureAwait(false))
                throw new PrivilegedException(ClientErrorCodes.SudoPassword, "sudo did not accept the password; the privileged helper was not started");
            return await Start(options).HandshakeAsync(options, ct).ConfigureAwait(false);
        }
    }

    private static StdioTransport Start(PrivilegedClientOptions options)
    {
        var (self, _) = SelfExecutable.Resolve();
        var daemonArgs = DaemonLauncher.DaemonArgs(options, stdio: true);
        var (file, args) = DaemonLauncher.IsRoot
            ? (self, daemonArgs)
            : (DaemonLauncher.FindSudo(), (IReadOnlyList<string>)["-n", self, .. daemonArgs]);
        return new StdioTransport(DaemonLauncher.StartRedirected(file, args, "for the privileged helper"));
    }

    private async Task<IPrivilegedClient> HandshakeAsync(PrivilegedClientOptions options, CancellationToken ct)
    {
        var client = new ProtocolClient(_process.StandardOutput.BaseStream, _process.StandardInput.BaseStream, this, options.AutostopMode);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(100, options.AutostartTimeoutMs)));
        try
        {
            await client.HandshakeAsync(timeout.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e) when (e is PrivilegedException { Code: ClientErrorCodes.Unavailable } or OperationCanceledException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            var stderr = await StderrAsync().ConfigureAwait(false);
            if (!DaemonLauncher.IsRoot && DaemonLauncher.IsPasswordRequired(stderr))
                throw new PrivilegedException(ClientErrorCodes.SudoPassword, ClientMessages.SudoPasswordNoTty);
            if (e is OperationCanceledException)
                throw new PrivilegedException(ClientErrorCodes.StartupTimeout, ClientMessages.StartupTimeout);
            throw new PrivilegedException(ClientErrorCodes.LaunchFailed,
                $"the privileged helper exited: {DaemonLauncher.LastLine(stderr)} (see the sudoers lines in docs/privileged.md)");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[1024];
        try
        {
            int n;
            while ((n = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                lock (_stderr)
                    if (_stderr.Length < MaxStderrChars) _stderr.Append(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
    }

    private async Task<string> StderrAsync()
    {
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        lock (_stderr) return _stderr.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        _process.Dispose();
    }
}
