using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Sdk.Tests;

/// <summary>
/// Loads a built plugin in its own collectible load context sharing Tunmux.Contracts with the test,
/// the way the host does, so the template can be exercised in-process.
/// </summary>
internal sealed class PluginLoading : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;

    private PluginLoading(string assemblyPath) : base(isCollectible: true) => _resolver = new AssemblyDependencyResolver(assemblyPath);

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name == typeof(IVpnProvider).Assembly.GetName().Name) return null; // shared with the host
        return _resolver.ResolveAssemblyToPath(name) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    public static (IVpnProvider Provider, PluginLoading Context) Load(string assemblyPath)
    {
        var context = new PluginLoading(assemblyPath);
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        var attribute = assembly.GetCustomAttribute<TunmuxPluginAttribute>()
            ?? throw new InvalidOperationException($"{assemblyPath} has no TunmuxPlugin attribute");
        return ((IVpnProvider)Activator.CreateInstance(attribute.ProviderType)!, context);
    }
}

/// <summary>The least a host gives a plugin: memory credentials and captured output.</summary>
internal sealed class MinimalContext : IProviderContext, ICredentialStore, IPluginLogger, IConsoleIO, IConfigSection
{
    public Dictionary<string, string> Items { get; } = [];
    public StringWriter Output { get; } = new();

    public IConfigSection Config => this;
    public ICredentialStore Credentials => this;
    public IHttpClientProvider Http => throw new NotSupportedException();
    public IPluginLogger Log => this;
    public IConsoleIO Console => this;
    public string CacheDirectory => Path.GetTempPath();
    public CancellationToken Cancellation => CancellationToken.None;

    public string Description => "memory";
    public Task<string?> GetAsync(string item, CancellationToken cancellationToken) => Task.FromResult(Items.GetValueOrDefault(item));
    public Task SetAsync(string item, string value, CancellationToken cancellationToken) { Items[item] = value; return Task.CompletedTask; }
    public Task<bool> DeleteAsync(string item, CancellationToken cancellationToken) => Task.FromResult(Items.Remove(item));

    public void Debug(string messageTemplate, params object?[] args) { }
    public void Information(string messageTemplate, params object?[] args) { }
    public void Warning(string messageTemplate, params object?[] args) { }
    public void RegisterSecret(string secret) { }

    public TextWriter Out => Output;
    public TextWriter Error => Output;
    public bool IsInteractive => false;
    public string? Prompt(string prompt) => null;
    public string? PromptSecret(string prompt) => null;
    public string? ReadStdinLine() => null;
    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) { }
    public void WriteJson(object? value) => Output.WriteLine(JsonSerializer.Serialize(value));

    public string SourceFile => "config.toml";
    public IReadOnlyCollection<string> Keys => [];
    public string? GetString(string key) => null;
    public bool? GetBool(string key) => null;
    public long? GetInteger(string key) => null;
    public IReadOnlyList<string>? GetStringList(string key) => null;
}
