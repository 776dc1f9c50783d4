using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tunmux.Contracts;

namespace Tunmux.Fakes.Kit;

/// <summary>
/// Runs a provider in-process the way the host would: config from a dictionary, a credential store
/// in memory (it counts writes), the console and the log captured (log lines with registered
/// secrets masked, as the host masks them, unless a test asks for the raw lines), and a private
/// cache folder removed on dispose.
/// </summary>
public sealed class PluginTestContext : IProviderContext, IDisposable
{
    /// <param name="config">The provider's config section.</param>
    /// <param name="maskSecretsInLog">
    /// False keeps log lines as the plugin wrote them, for tests that assert a registered secret is never
    /// logged at all (with masking on, such a line would be hidden and the assertion could not fail).
    /// </param>
    public PluginTestContext(IDictionary<string, object>? config = null, bool maskSecretsInLog = true)
    {
        Logger = new CapturingLog { MasksSecrets = maskSecretsInLog };
        ConfigValues = new Dictionary<string, object>(config ?? new Dictionary<string, object>());
        CacheDirectory = Directory.CreateTempSubdirectory("tunmux-plugin-cache-").FullName;
    }

    public Dictionary<string, object> ConfigValues { get; }
    public MemoryStore Store { get; } = new();
    public CapturingLog Logger { get; }
    public ScriptedConsole Terminal { get; } = new();
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IConfigSection Config => new DictionaryConfig(ConfigValues);
    public ICredentialStore Credentials => Store;
    public IHttpClientProvider Http => new ShortTimeoutHttp(this);
    /// <summary>Measures nothing unless a test sets a scripted probe.</summary>
    public ILatencyProbe Latency { get; set; } = NoLatencyProbe.Instance;
    public IPluginLogger Log => Logger;
    public IConsoleIO Console => Terminal;
    public string CacheDirectory { get; }
    public CancellationToken Cancellation => CancellationToken.None;

    /// <summary>The steps the plugin reported, in order (the host shows each on a terminal's step line).</summary>
    public ConcurrentQueue<string> ReportedSteps { get; } = new();

    IStepReporter IProviderContext.Steps => new RecordingSteps(ReportedSteps);

    private sealed class RecordingSteps(ConcurrentQueue<string> steps) : IStepReporter
    {
        public void Step(string text) => steps.Enqueue(text);
    }

    /// <summary>Everything the plugin wrote or logged, for "this secret appears nowhere" checks.</summary>
    public string AllOutput => Terminal.OutWriter + "\n" + Terminal.ErrorWriter + "\n" + string.Join('\n', Logger.Lines);

    public void Dispose()
    {
        try { Directory.Delete(CacheDirectory, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>A config section from a dictionary.</summary>
    public sealed class DictionaryConfig(Dictionary<string, object> values) : IConfigSection
    {
        public string SourceFile => "config.toml (test)";
        public IReadOnlyCollection<string> Keys => values.Keys;
        public string? GetString(string key) => values.TryGetValue(key, out var v) ? v as string ?? throw new ProviderException($"{key} must be a string") : null;
        public bool? GetBool(string key) => values.TryGetValue(key, out var v) ? (bool)v : null;
        public long? GetInteger(string key) => values.TryGetValue(key, out var v) ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
        public IReadOnlyList<string>? GetStringList(string key) => values.TryGetValue(key, out var v) ? (IReadOnlyList<string>)v : null;
    }

    public sealed class MemoryStore : ICredentialStore
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

    private sealed class ShortTimeoutHttp(PluginTestContext owner) : IHttpClientProvider
    {
        public HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null) =>
            new(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = owner.HttpTimeout };
    }

    /// <summary>Keeps log lines and the secrets registered; masks those secrets in the lines as the host does, unless told not to.</summary>
    public sealed class CapturingLog : IPluginLogger
    {
        public bool MasksSecrets { get; init; } = true;
        private readonly ConcurrentBag<string> _secrets = [];
        public ConcurrentQueue<string> Lines { get; } = new();
        public IReadOnlyCollection<string> Secrets => _secrets;

        public void Debug(string messageTemplate, params object?[] args) => Add("DBG", messageTemplate, args);
        public void Information(string messageTemplate, params object?[] args) => Add("INF", messageTemplate, args);
        public void Warning(string messageTemplate, params object?[] args) => Add("WRN", messageTemplate, args);
        public void RegisterSecret(string secret) => _secrets.Add(secret);

        private void Add(string level, string template, object?[] args)
        {
            var i = 0;
            var text = Regex.Replace(template, @"\{[A-Za-z0-9_]+\}", _ => i < args.Length ? args[i++]?.ToString() ?? "null" : "?");
            if (MasksSecrets)
                foreach (var secret in _secrets.Where(s => s.Length > 0)) text = text.Replace(secret, "***", StringComparison.Ordinal);
            Lines.Enqueue($"{level} {text}");
        }
    }

    /// <summary>A console whose prompts are answered from a queue and whose standard input is one line.</summary>
    public sealed class ScriptedConsole : IConsoleIO
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
