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

    private readonly long _maxBytes;
    private readonly Action? _startOver;
    private long _bytes;

    /// <param name="maxBytes">When the log has grown past this, <paramref name="startOver"/> empties it (the proxy
    /// cannot rename a file it does not own; the launcher keeps the previous log as <c>.1</c> at each start).</param>
    public ProxyLog(TextWriter writer, long maxBytes = long.MaxValue, Action? startOver = null, long initialBytes = 0)
    {
        _writer = writer;
        _maxBytes = maxBytes;
        _startOver = startOver;
        _bytes = initialBytes;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Size at which a proxy log starts over.</summary>
    public const long DefaultMaxBytes = 10L << 20;

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
        if (_lines.Writer.TryWrite(Escape(line))) Interlocked.Increment(ref _queued);
    }

    /// <summary>
    /// Every line as printable text: control characters (newlines included) and backslashes become
    /// <c>\xNN</c> escapes, so no field a client chose (a host name, a CONNECT target) can forge a line.
    /// </summary>
    public static string Escape(string line)
    {
        var clean = true;
        foreach (var ch in line)
            if (char.IsControl(ch) || ch == '\\' || char.IsSurrogate(ch)) { clean = false; break; }
        if (clean) return line;
        var sb = new StringBuilder(line.Length + 16);
        foreach (var ch in line)
        {
            if (char.IsControl(ch) || ch == '\\' || char.IsSurrogate(ch))
                sb.Append("\\x").Append(((int)ch).ToString(ch > 0xff ? "x4" : "x2", CultureInfo.InvariantCulture));
            else sb.Append(ch);
        }
        return sb.ToString();
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
                _bytes += Encoding.UTF8.GetByteCount(line) + 1;
                count++;
            }
            await _writer.FlushAsync().ConfigureAwait(false);
            if (_bytes > _maxBytes && _startOver is not null)
            {
                _startOver();
                _bytes = 0;
                await _writer.WriteLineAsync($"{Now()} log started over after {_maxBytes} bytes").ConfigureAwait(false);
                await _writer.FlushAsync().ConfigureAwait(false);
            }
            Interlocked.Add(ref _written, count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }
}
