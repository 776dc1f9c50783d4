using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Tunmux.Host.Logging;

/// <summary>
/// Logging for the command line: warnings and errors to stderr by default, debug with <c>-v</c>,
/// or the level named by <c>TUNMUX_LOG</c>. The logger is built on first use so commands that
/// never log do not pay for it.
/// </summary>
public static class LogSetup
{
    private static Lazy<ILogger> _logger = new(() => Create(LogEventLevel.Warning, Console.Error));
    private static LogEventLevel _level = LogEventLevel.Warning;

    public static ILogger Logger => _logger.Value;
    public static bool Verbose => _level <= LogEventLevel.Debug;

    /// <summary>Whether a message at this level would be written (checked without building the logger).</summary>
    public static bool IsEnabled(LogEventLevel level) => level >= _level;

    /// <summary>Chooses the level from <c>-v</c> and <c>TUNMUX_LOG</c> (the flag wins).</summary>
    public static void Configure(bool verbose, TextWriter? stderr = null)
    {
        _level = verbose ? LogEventLevel.Debug : ParseLevel(Environment.GetEnvironmentVariable("TUNMUX_LOG")) ?? LogEventLevel.Warning;
        var level = _level;
        var writer = stderr ?? Console.Error;
        _logger = new Lazy<ILogger>(() => Create(level, writer));
    }

    public static LogEventLevel? ParseLevel(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "debug" or "trace" => LogEventLevel.Debug,
        "info" or "information" => LogEventLevel.Information,
        "warn" or "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        _ => null,
    };

    /// <summary>A logger writing masked lines to <paramref name="writer"/>.</summary>
    public static ILogger Create(LogEventLevel level, TextWriter writer) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Sink(new MaskedTextSink(new MessageTemplateTextFormatter("{Level:w}: {Message:lj}{NewLine}{Exception}"), writer))
            .CreateLogger();

    /// <summary>A logger for a daemon's own log file (0600), masked like the console.</summary>
    public static ILogger CreateFileLogger(string path, LogEventLevel level)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Sink(new MaskedTextSink(new MessageTemplateTextFormatter("{Timestamp:o} {Level:u3} {Message:lj}{NewLine}{Exception}"), writer))
            .CreateLogger();
    }

    private sealed class MaskedTextSink(ITextFormatter formatter, TextWriter writer) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            var buffer = new StringWriter();
            formatter.Format(logEvent, buffer);
            var line = SecretMask.Mask(buffer.ToString());
            lock (writer) writer.Write(line);
        }
    }
}
