using System.Reflection;
using McMaster.NETCore.Plugins;
using System.Text.Json;
using Tunmux.Contracts;

namespace Tunmux.Sdk.Tests;

/// <summary>
/// Loads a built plugin the way the host does (McMaster.NETCore.Plugins, sharing the contracts), but in an
/// unloadable context, so the template can be exercised in-process and released afterwards.
/// </summary>
internal static class PluginLoading
{
    public static (IVpnProvider Provider, PluginLoader Loader) Load(string assemblyPath)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, isUnloadable: true, sharedTypes: [typeof(IVpnProvider)]);
        var assembly = loader.LoadDefaultAssembly();
        var attribute = assembly.GetCustomAttribute<TunmuxPluginAttribute>()
            ?? throw new InvalidOperationException($"{assemblyPath} has no TunmuxPlugin attribute");
        return ((IVpnProvider)Activator.CreateInstance(attribute.ProviderType)!, loader);
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
    public ILatencyProbe Latency => NoLatencyProbe.Instance;
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
