using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Plugins.WgConf.Tests;

/// <summary>A host stand-in: an in-memory credential store, captured output and log.</summary>
internal sealed class TestProviderContext : IProviderContext
{
    public MemoryCredentialStore Store { get; } = new();
    public TestLogger Logger { get; } = new();
    public TestConsole Io { get; } = new();

    public IConfigSection Config { get; } = new EmptySection();
    public ICredentialStore Credentials => Store;
    public IHttpClientProvider Http => throw new InvalidOperationException("wgconf must not use the network");
    public ILatencyProbe Latency => NoLatencyProbe.Instance;
    public IPluginLogger Log => Logger;
    public IConsoleIO Console => Io;
    public string CacheDirectory => throw new InvalidOperationException("wgconf keeps no cache");
    public CancellationToken Cancellation => CancellationToken.None;

    private sealed class EmptySection : IConfigSection
    {
        public string SourceFile => "config.toml";
        public IReadOnlyCollection<string> Keys => [];
        public string? GetString(string key) => null;
        public bool? GetBool(string key) => null;
        public long? GetInteger(string key) => null;
        public IReadOnlyList<string>? GetStringList(string key) => null;
    }
}

internal sealed class MemoryCredentialStore : ICredentialStore
{
    public Dictionary<string, string> Items { get; } = new(StringComparer.Ordinal);
    public int Writes { get; private set; }
    public string Description => "memory";

    public Task<string?> GetAsync(string item, CancellationToken cancellationToken) =>
        Task.FromResult(Items.TryGetValue(item, out var v) ? v : null);

    public Task SetAsync(string item, string value, CancellationToken cancellationToken)
    {
        Writes++;
        Items[item] = value;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string item, CancellationToken cancellationToken) => Task.FromResult(Items.Remove(item));
}

internal sealed class TestLogger : IPluginLogger
{
    public List<string> Lines { get; } = [];
    public List<string> Secrets { get; } = [];
    public void Debug(string messageTemplate, params object?[] args) => Add("DBG", messageTemplate, args);
    public void Information(string messageTemplate, params object?[] args) => Add("INF", messageTemplate, args);
    public void Warning(string messageTemplate, params object?[] args) => Add("WRN", messageTemplate, args);
    public void RegisterSecret(string secret) => Secrets.Add(secret);

    private void Add(string level, string template, object?[] args)
    {
        var text = template;
        foreach (var a in args)
        {
            var open = text.IndexOf('{');
            var close = open < 0 ? -1 : text.IndexOf('}', open);
            if (close < 0) break;
            text = text[..open] + a + text[(close + 1)..];
        }
        Lines.Add($"{level} {text}");
    }
}

internal sealed class TestConsole : IConsoleIO
{
    public StringWriter OutWriter { get; } = new();
    public StringWriter ErrorWriter { get; } = new();
    public TextWriter Out => OutWriter;
    public TextWriter Error => ErrorWriter;
    public bool IsInteractive => false;
    public string? Prompt(string prompt) => null;
    public string? PromptSecret(string prompt) => null;
    public string? ReadStdinLine() => null;

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Out.WriteLine(string.Join('\t', headers));
        foreach (var r in rows) Out.WriteLine(string.Join('\t', r));
    }

    public void WriteJson(object? value) =>
        Out.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
}
