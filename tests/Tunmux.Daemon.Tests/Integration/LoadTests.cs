using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;
using Tunmux.Host.Privileged;
using Tunmux.TestSupport;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// 200 clients at once, 50 requests each, through the real client library against the real daemon.
/// Prints the throughput and latency recorded in docs/performance-daemon.md; with TUNMUX_PERF_REPORT set,
/// also appends a table row to that file.
/// </summary>
[NonParallelizable]
public class LoadTests
{
    private const int Clients = 200;
    private const int RequestsPerClient = 50;

    [Test]
    public async Task Two_hundred_concurrent_clients_are_all_answered()
    {
        Requires.Root("the daemon runs as root");
        using var sandbox = new DaemonSandbox();
        sandbox.StartDaemon("--authorized-group", "root");
        var options = new PrivilegedClientOptions { Autostart = false, Paths = sandbox.Paths };

        // Connect everyone first (each connection: ping + lease), then measure the requests proper.
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => PrivilegedClient.ConnectAsync(options, CancellationToken.None)));
        var latencies = new double[Clients * RequestsPerClient];
        var errors = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            for (var i = 0; i < RequestsPerClient; i++)
            {
                var t = Stopwatch.GetTimestamp();
                // Alternate a ping and a listing: both go through parsing, validation and dispatch.
                var ok = i % 2 == 0
                    ? (await client.PingAsync(CancellationToken.None)).Protocol == 1
                    : await client.TunnelListAsync(CancellationToken.None) is not null;
                latencies[c * RequestsPerClient + i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!ok) Interlocked.Increment(ref errors);
            }
        })));
        wall.Stop();
        foreach (var c in clients) await c.DisposeAsync();

        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var rps = latencies.Length / wall.Elapsed.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {DateTime.UtcNow:yyyy-MM-dd} | {Clients} x {RequestsPerClient} | {latencies.Length} | {wall.Elapsed.TotalSeconds:0.00} s | {rps:0} | {P(0.50):0.00} ms | {P(0.99):0.00} ms | {latencies[^1]:0.00} ms | {Environment.ProcessorCount} |");
        TestContext.Out.WriteLine("| date | clients x requests | requests | wall time | requests/s | p50 | p99 | max | cores |");
        TestContext.Out.WriteLine(line);
        if (Environment.GetEnvironmentVariable("TUNMUX_PERF_REPORT") is { Length: > 0 } report) File.AppendAllText(report, line + "\n");

        Assert.That(errors, Is.Zero);
        Assert.That(RawClient.TryPing(sandbox.Paths.SocketPath), Is.True);
    }
}
