using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;

namespace Tunmux.Privileged.Proxy.Server;

/// <summary>
/// The proxy's log: diagnostic lines and, when enabled, one access line per connection. Lines
/// are queued and written by one background task, so a slow log never stalls a relay.
/// Never given a secret.
/// </summary>
public sealed class ProxyLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _writer;
    private readonly Task _pump;
    private long _queued;
    private long _written;

    public ProxyLog(TextWriter writer)
    {
        _writer = writer;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>A log that drops everything.</summary>
    public static ProxyLog Null { get; } = new(TextWriter.Null);

    public void Info(string message) => Enqueue($"{Now()} {message}");

    /// <summary>Waits until every line queued so far is written and flushed (bounded), e.g. before saying "ready".</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Interlocked.Read(ref _written) < target && Environment.TickCount64 < deadline)
            await Task.Delay(2).ConfigureAwait(false);
    }

    private void Enqueue(string line)
    {
        if (_lines.Writer.TryWrite(line)) Interlocked.Increment(ref _queued);
    }

    internal void Access(ClientConnection c)
    {
        var duration = Environment.TickCount64 - c.StartedTicks;
        var sb = new StringBuilder(160);
        sb.Append(c.StartedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
          .Append(" access client=").Append(Format(c.ClientEndPoint))
          .Append(" proto=").Append(c.Protocol)
          .Append(" target=").Append(c.Target)
          .Append(" up=").Append(c.BytesUp.ToString(CultureInfo.InvariantCulture))
          .Append(" down=").Append(c.BytesDown.ToString(CultureInfo.InvariantCulture))
          .Append(" duration_ms=").Append(duration.ToString(CultureInfo.InvariantCulture));
        if (c.Requests > 0) sb.Append(" requests=").Append(c.Requests.ToString(CultureInfo.InvariantCulture));
        sb.Append(" outcome=").Append(c.AbortReason is "idle-timeout" or "handshake-timeout" ? c.AbortReason : c.Outcome);
        Enqueue(sb.ToString());
    }

    private static string Format(EndPoint? e) => e?.ToString() ?? "-";

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private async Task PumpAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = 0;
            while (reader.TryRead(out var line))
            {
                await _writer.WriteLineAsync(line).ConfigureAwait(false);
                count++;
            }
            await _writer.FlushAsync().ConfigureAwait(false);
            Interlocked.Add(ref _written, count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }
}
