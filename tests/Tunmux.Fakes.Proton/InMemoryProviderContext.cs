using System.Collections.Concurrent;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Fakes.Proton;

/// <summary>
/// An <see cref="IProviderContext"/> for running a provider in-process: config from a dictionary,
/// credentials in memory, console and log captured, a private cache folder.
/// </summary>
public sealed class InMemoryProviderContext : IProviderContext, IDisposable
{
    public InMemoryProviderContext(IDictionary<string, object>? config = null, string? cacheDirectory = null)
    {
        ConfigValues = new Dictionary<string, object>(config ?? new Dictionary<string, object>());
        CacheDirectory = cacheDirectory ?? Directory.CreateTempSubdirectory("tunmux-proton-cache-").FullName;
        OwnsCache = cacheDirectory is null;
    }

    private bool OwnsCache { get; }

    public Dictionary<string, object> ConfigValues { get; }
    public InMemoryCredentialStore Store { get; } = new();
    public CapturingLog Logger { get; } = new();
    public CapturedConsole Terminal { get; } = new();
    public HttpProvider HttpFactory { get; } = new();

    public IConfigSection Config => new DictionaryConfig(ConfigValues);
    public ICredentialStore Credentials => Store;
    public IHttpClientProvider Http => HttpFactory;
    public ILatencyProbe Latency { get; set; } = NoLatencyProbe.Instance;
    public IPluginLogger Log => Logger;
    public IConsoleIO Console => Terminal;
    public string CacheDirectory { get; }
    public CancellationToken Cancellation => CancellationToken.None;

    public void Dispose()
    {
        if (OwnsCache)
        {
            try { Directory.Delete(CacheDirectory, recursive: true); } catch (IOException) { }
        }
    }

    public sealed class DictionaryConfig(Dictionary<string, object> values) : IConfigSection
    {
        public string SourceFile => "config.toml (test)";
        public IReadOnlyCollection<string> Keys => values.Keys;
        public string? GetString(string key) => values.TryGetValue(key, out var v) ? v as string ?? throw new ProviderException($"{key} must be a string") : null;
        public bool? GetBool(string key) => values.TryGetValue(key, out var v) ? (bool)v : null;
        public long? GetInteger(string key) => values.TryGetValue(key, out var v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : null;
        public IReadOnlyList<string>? GetStringList(string key) => values.TryGetValue(key, out var v) ? (IReadOnlyList<string>)v : null;
    }

    /// <summary>Credential items in a dictionary; counts writes so tests can check nothing was written.</summary>
    public sealed class InMemoryCredentialStore : ICredentialStore
    {
        public ConcurrentDictionary<string, string> Items { get; } = new();
        public int Writes;
        public string Description => "memory (test)";
        public Task<string?> GetAsync(string item, CancellationToken cancellationToken) => Task.FromResult(Items.TryGetValue(item, out var v) ? v : null);

        public Task SetAsync(string item, string value, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            Items[item] = value;
            return Task.CompletedTask;
        }

        public Task<bool> DeleteAsync(string item, CancellationToken cancellationToken) => Task.FromResult(Items.TryRemove(item, out _));
    }

    /// <summary>Creates clients with a fixed, short timeout (tests of slow servers).</summary>
    public sealed class HttpProvider : IHttpClientProvider
    {
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
        public HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null) =>
            new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = Timeout };
    }

    /// <summary>Keeps log lines (with secrets masked, as the host does) and the secrets registered.</summary>
    public sealed class CapturingLog : IPluginLogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ConcurrentBag<string> Secrets { get; } = new();

        public void Debug(string messageTemplate, params object?[] args) => Add("DBG", messageTemplate, args);
        public void Information(string messageTemplate, params object?[] args) => Add("INF", messageTemplate, args);
        public void Warning(string messageTemplate, params object?[] args) => Add("WRN", messageTemplate, args);
        public void RegisterSecret(string secret) => Secrets.Add(secret);

        private void Add(string level, string template, object?[] args)
        {
            var i = 0;
            var text = System.Text.RegularExpressions.Regex.Replace(template, @"\{[A-Za-z0-9_]+\}", _ => i < args.Length ? args[i++]?.ToString() ?? "null" : "?");
            Lines.Enqueue($"{level} {text}");
        }
    }

    /// <summary>A console with scripted answers to prompts.</summary>
    public sealed class CapturedConsole : IConsoleIO
    {
        public StringWriter OutWriter { get; } = new();
        public StringWriter ErrorWriter { get; } = new();
        public Queue<string?> Answers { get; } = new();
        public List<string> Prompts { get; } = [];
        public string? StdinLine { get; set; }

        /// <summary>When set, answers prompts instead of <see cref="Answers"/> (a test acting as the person at the terminal).</summary>
        public Func<string, string?>? OnPrompt { get; set; }
        public TextWriter Out => OutWriter;
        public TextWriter Error => ErrorWriter;
        public bool IsInteractive { get; set; }

        public string? Prompt(string prompt) => Answer(prompt);
        public string? PromptSecret(string prompt) => Answer(prompt);
        public string? ReadStdinLine() => StdinLine;

        public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
        {
            OutWriter.WriteLine(string.Join('\t', headers));
            foreach (var r in rows) OutWriter.WriteLine(string.Join('\t', r));
        }

        public void WriteJson(object? value) =>
            OutWriter.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));

        private string? Answer(string prompt)
        {
            Prompts.Add(prompt);
            if (OnPrompt is { } answer) return answer(prompt);
            return Answers.Count > 0 ? Answers.Dequeue() : null;
        }
    }
}
