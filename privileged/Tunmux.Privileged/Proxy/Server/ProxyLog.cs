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

    public ProxyLog(TextWriter writer)
    {
        _writer = writer;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>A log that drops everything.</summary>
    public static ProxyLog Null { get; } = new(TextWriter.Null);

    public void Info(string message) => _lines.Writer.TryWrite($"{Now()} {message}");

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
        _lines.Writer.TryWrite(sb.ToString());
    }

    private static string Format(EndPoint? e) => e?.ToString() ?? "-";

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private async Task PumpAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line)) await _writer.WriteLineAsync(line).ConfigureAwait(false);
            await _writer.FlushAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }
}
