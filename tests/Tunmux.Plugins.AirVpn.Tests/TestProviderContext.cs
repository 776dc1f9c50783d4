using System.Text;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>A provider context for tests: config in a dictionary, credentials in memory, console and log captured.</summary>
internal sealed class TestProviderContext : IProviderContext
{
    public TestProviderContext(string cacheDirectory, Dictionary<string, object> config)
    {
        CacheDirectory = cacheDirectory;
        ConfigValues = config;
    }

    public Dictionary<string, object> ConfigValues { get; }
    public MemoryCredentials Store { get; } = new();
    public CapturingLog Logs { get; } = new();
    public CapturedConsole Io { get; } = new();

    public IConfigSection Config => new DictionaryConfig(ConfigValues);
    public ICredentialStore Credentials => Store;
    public IHttpClientProvider Http { get; } = new PlainHttp();
    public ILatencyProbe Latency { get; set; } = NoLatencyProbe.Instance;
    public IPluginLogger Log => Logs;
    public IConsoleIO Console => Io;
    public string CacheDirectory { get; }
    public CancellationToken Cancellation => CancellationToken.None;

    private sealed class DictionaryConfig(Dictionary<string, object> values) : IConfigSection
    {
        public string SourceFile => "/test/config.toml";
        public IReadOnlyCollection<string> Keys => values.Keys;
        public string? GetString(string key) => values.TryGetValue(key, out var v) ? (string)v : null;
        public bool? GetBool(string key) => values.TryGetValue(key, out var v) ? (bool)v : null;
        public long? GetInteger(string key) => values.TryGetValue(key, out var v) ? (long)v : null;
        public IReadOnlyList<string>? GetStringList(string key) => values.TryGetValue(key, out var v) ? (IReadOnlyList<string>)v : null;
    }

    private sealed class PlainHttp : IHttpClientProvider
    {
        public HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null) =>
            new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }
}

internal sealed class MemoryCredentials : ICredentialStore
{
    public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);
    public string Description => "memory";
    public Task<string?> GetAsync(string item, CancellationToken ct) => Task.FromResult(Items.TryGetValue(item, out var v) ? v : null);
    public Task SetAsync(string item, string value, CancellationToken ct) { Items[item] = value; return Task.CompletedTask; }
    public Task<bool> DeleteAsync(string item, CancellationToken ct) => Task.FromResult(Items.Remove(item));
}

internal sealed class CapturingLog : IPluginLogger
{
    public List<string> Lines { get; } = [];
    public HashSet<string> Secrets { get; } = [];
    public void Debug(string t, params object?[] a) => Lines.Add(Render(t, a));
    public void Information(string t, params object?[] a) => Lines.Add(Render(t, a));
    public void Warning(string t, params object?[] a) => Lines.Add(Render(t, a));
    public void RegisterSecret(string secret) { if (secret.Length > 0) Secrets.Add(secret); }

    private static string Render(string template, object?[] args)
    {
        var s = template;
        foreach (var a in args)
        {
            var open = s.IndexOf('{');
            var close = open < 0 ? -1 : s.IndexOf('}', open);
            if (close < 0) break;
            s = s[..open] + a + s[(close + 1)..];
        }
        return s;
    }
}

internal sealed class CapturedConsole : IConsoleIO
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public StringWriter OutWriter { get; } = new();
    public StringWriter ErrorWriter { get; } = new();
    public Queue<string> SecretAnswers { get; } = new();
    public bool Interactive { get; set; }

    public TextWriter Out => OutWriter;
    public TextWriter Error => ErrorWriter;
    public bool IsInteractive => Interactive;
    public string? Prompt(string prompt) => null;
    public string? PromptSecret(string prompt) { ErrorWriter.Write(prompt); return SecretAnswers.Count > 0 ? SecretAnswers.Dequeue() : null; }
    public string? ReadStdinLine() => null;

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder().AppendJoin(" | ", headers).Append('\n');
        foreach (var r in rows) sb.AppendJoin(" | ", r).Append('\n');
        OutWriter.Write(sb.ToString());
    }

    public void WriteJson(object? value) => OutWriter.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public string TakeOut()
    {
        var s = OutWriter.ToString();
        OutWriter.GetStringBuilder().Clear();
        return s;
    }
}
