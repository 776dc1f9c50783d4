using Tunmux.Privileged.Processes;

namespace Tunmux.Fakes.AirVpn;

/// <summary>
/// Runs the configured command (argv, no shell) with DEVICE PUBKEY ADDRESS appended the first time a
/// device key is created or handed out, so a lab can register it as a peer on its servers. A preshared
/// key, when devices have one, comes on standard input.
/// </summary>
public sealed class KeyHook(IReadOnlyList<string> argv, TextWriter log)
{
    private readonly HashSet<string> _done = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task KeyUsedAsync(FakeDevice device, CancellationToken ct)
    {
        if (argv.Count == 0) return;
        await _gate.WaitAsync(ct);
        try
        {
            if (!_done.Add(device.PublicKey)) return;
            // The preshared key is a secret: standard input, not the command line.
            var result = await ProcessRunner.Default.RunAsync(argv[0], [.. argv.Skip(1), device.Name, device.PublicKey, device.Ipv4],
                stdin: device.Preshared.Length > 0 ? device.Preshared + "\n" : null, timeout: TimeSpan.FromSeconds(30), cancellationToken: ct);
            if (!result.Succeeded)
            {
                _done.Remove(device.PublicKey);
                await log.WriteLineAsync($"hook failed for device {device.Name}: exit {result.ExitCode}: {result.StandardError.Trim()}");
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
