namespace Tunmux.Contracts;

/// <summary>Services the host hands a provider.</summary>
public interface IProviderContext
{
    /// <summary>The provider's section of config.toml (<c>[proton]</c> for proton); empty when absent.</summary>
    IConfigSection Config { get; }

    /// <summary>Where the provider keeps passwords, tokens and keys (file or OS keyring, chosen by the user).</summary>
    ICredentialStore Credentials { get; }

    /// <summary>Creates HTTP clients with the host's defaults (timeouts, user agent).</summary>
    IHttpClientProvider Http { get; }

    /// <summary>The provider's logger. Never pass secrets to it.</summary>
    IPluginLogger Log { get; }

    /// <summary>Terminal input and output: prompts (with and without echo), tables and JSON.</summary>
    IConsoleIO Console { get; }

    /// <summary>Measures round trips to servers' entries (for <c>--sort latency</c> and the latency column).</summary>
    ILatencyProbe Latency { get; }

    /// <summary>A folder the provider may use for caches that hold no secrets (manifests), created 0700.</summary>
    string CacheDirectory { get; }

    /// <summary>Cancelled when the user interrupts the command (Ctrl-C).</summary>
    CancellationToken Cancellation { get; }

    /// <summary>
    /// Tells the user what the command waits for now (<c>fetching the server list</c>, <c>registering the device
    /// key</c>): on a terminal one line rewritten in place, elsewhere a line on standard error, nothing with
    /// <c>--json</c>. Since plugin API 2.2; hosts before it give a reporter that shows nothing.
    /// </summary>
    IStepReporter Steps => NoStepReporter.Instance;
}

/// <summary>Shows the steps of a command that waits (see <see cref="IProviderContext.Steps"/>).</summary>
public interface IStepReporter
{
    /// <summary>The command now does <paramref name="text"/> (a short phrase, lower case, no final period).</summary>
    void Step(string text);
}

/// <summary>A reporter that shows nothing: for tests of a provider, and what a host without step lines hands out.</summary>
public sealed class NoStepReporter : IStepReporter
{
    /// <summary>The one instance.</summary>
    public static NoStepReporter Instance { get; } = new();

    /// <inheritdoc/>
    public void Step(string text)
    {
    }
}

/// <summary>One section of config.toml, as read by the host.</summary>
public interface IConfigSection
{
    /// <summary>Path of the config file the values came from (for error messages).</summary>
    string SourceFile { get; }

    /// <summary>Keys present in the section.</summary>
    IReadOnlyCollection<string> Keys { get; }

    /// <summary>A string value, or null when the key is absent. Throws <see cref="ProviderException"/> for another type.</summary>
    string? GetString(string key);

    /// <summary>A boolean value, or null when absent.</summary>
    bool? GetBool(string key);

    /// <summary>An integer value, or null when absent.</summary>
    long? GetInteger(string key);

    /// <summary>An array of strings, or null when absent.</summary>
    IReadOnlyList<string>? GetStringList(string key);
}

/// <summary>
/// Secret storage scoped to one provider. Items are named like files (<c>session.json</c>);
/// the file store keeps them as 0600 files under the config folder, the keyring store as
/// Secret Service items. Values are opaque strings (usually JSON).
/// </summary>
public interface ICredentialStore
{
    /// <summary>Human description of where items live (<c>file ~/.config/tunmux/proton</c>, <c>keyring (Secret Service)</c>).</summary>
    string Description { get; }

    /// <summary>Reads an item; null when absent.</summary>
    Task<string?> GetAsync(string item, CancellationToken cancellationToken);

    /// <summary>Creates or replaces an item atomically.</summary>
    Task SetAsync(string item, string value, CancellationToken cancellationToken);

    /// <summary>Deletes an item; returns false when it was absent.</summary>
    Task<bool> DeleteAsync(string item, CancellationToken cancellationToken);
}

/// <summary>Creates HTTP clients.</summary>
public interface IHttpClientProvider
{
    /// <summary>A client with the host's user agent and the given timeout (default 30 s).</summary>
    HttpClient Create(TimeSpan? timeout = null, HttpMessageHandler? handler = null);
}

/// <summary>A logger for plugins. Message templates use <c>{Name}</c> holes like Serilog.</summary>
public interface IPluginLogger
{
    /// <summary>Detail useful when debugging (<c>-v</c>).</summary>
    void Debug(string messageTemplate, params object?[] args);

    /// <summary>Normal progress.</summary>
    void Information(string messageTemplate, params object?[] args);

    /// <summary>Something the user should know about.</summary>
    void Warning(string messageTemplate, params object?[] args);

    /// <summary>
    /// Registers a secret (password, token, private key) so that it is masked wherever it
    /// might appear in a log line.
    /// </summary>
    void RegisterSecret(string secret);
}

/// <summary>Terminal input and output.</summary>
public interface IConsoleIO
{
    /// <summary>Standard output.</summary>
    TextWriter Out { get; }

    /// <summary>Standard error.</summary>
    TextWriter Error { get; }

    /// <summary>True when standard input is a terminal (prompts can be answered).</summary>
    bool IsInteractive { get; }

    /// <summary>Prompts on standard error and reads one line with echo; null at end of input.</summary>
    string? Prompt(string prompt);

    /// <summary>Prompts on standard error and reads one line without echo; null at end of input.</summary>
    string? PromptSecret(string prompt);

    /// <summary>Reads the first line of standard input (for <c>--password-stdin</c>).</summary>
    string? ReadStdinLine();

    /// <summary>Writes rows as an aligned table with a header line.</summary>
    void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows);

    /// <summary>Writes a value as indented JSON with snake_case field names.</summary>
    void WriteJson(object? value);
}

/// <summary>Measures how far servers are, as the host can from this machine.</summary>
public interface ILatencyProbe
{
    /// <summary>
    /// Measures every target in parallel and returns one result per target (same keys), within
    /// <paramref name="budget"/> in total: a target that has not answered by then gets a null round trip.
    /// </summary>
    Task<IReadOnlyList<LatencyResult>> MeasureAsync(IReadOnlyList<LatencyTarget> targets, TimeSpan budget, CancellationToken cancellationToken);
}

/// <summary>One server to measure.</summary>
/// <param name="Key">The caller's key for the result (the server name).</param>
/// <param name="Host">The entry address or host name.</param>
/// <param name="Port">The server's WireGuard UDP port.</param>
public sealed record LatencyTarget(string Key, string Host, int Port);

/// <summary>The measurement of one <see cref="LatencyTarget"/>.</summary>
/// <param name="Key">The target's key.</param>
/// <param name="RoundTrip">The round trip, or null when nothing answered within the budget.</param>
/// <param name="Method">How it was measured (<c>tcp-connect</c>, <c>icmp</c>, ...), or <c>none</c>.</param>
public sealed record LatencyResult(string Key, TimeSpan? RoundTrip, string Method);

/// <summary>A probe that measures nothing: every target answers "no answer". For tests of a provider and for hosts that cannot measure.</summary>
public sealed class NoLatencyProbe : ILatencyProbe
{
    /// <summary>The one instance.</summary>
    public static NoLatencyProbe Instance { get; } = new();

    /// <inheritdoc/>
    public Task<IReadOnlyList<LatencyResult>> MeasureAsync(IReadOnlyList<LatencyTarget> targets, TimeSpan budget, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LatencyResult>>(targets.Select(t => new LatencyResult(t.Key, null, "none")).ToList());
}
