using Tunmux.Contracts;

namespace Tunmux.Host.Config;

/// <summary>One table of config.toml handed to a plugin.</summary>
internal sealed class ConfigSection(string name, string sourceFile, IReadOnlyDictionary<string, object?> values, Func<string, int> lineOf)
    : IConfigSection
{
    public static ConfigSection Empty(string name, string sourceFile) =>
        new(name, sourceFile, new Dictionary<string, object?>(), _ => 0);

    public string Name { get; } = name;
    public string SourceFile { get; } = sourceFile;
    public IReadOnlyCollection<string> Keys => (IReadOnlyCollection<string>)values.Keys;

    public string? GetString(string key) => Get<string>(key, "a string");
    public bool? GetBool(string key) => values.TryGetValue(key, out var v) && v is not null ? v as bool? ?? throw Wrong(key, "true or false") : null;
    public long? GetInteger(string key) => values.TryGetValue(key, out var v) && v is not null ? v as long? ?? throw Wrong(key, "an integer") : null;

    public IReadOnlyList<string>? GetStringList(string key)
    {
        if (!values.TryGetValue(key, out var v) || v is null) return null;
        if (v is string single) return [single];
        if (v is System.Collections.IEnumerable items)
        {
            var list = new List<string>();
            foreach (var item in items)
                list.Add(item as string ?? throw Wrong(key, "an array of strings"));
            return list;
        }
        throw Wrong(key, "an array of strings");
    }

    private T? Get<T>(string key, string expected) where T : class =>
        values.TryGetValue(key, out var v) && v is not null ? v as T ?? throw Wrong(key, expected) : null;

    private ProviderException Wrong(string key, string expected) =>
        new($"{SourceFile}:{lineOf(key)}: {Name}.{key} must be {expected}; fix the value or remove the key");
}
