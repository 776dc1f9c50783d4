namespace Tunmux.Host.Config;

/// <summary>config.toml as read: the general section and each other section for its plugin.</summary>
public sealed class TunmuxConfig
{
    public required string SourceFile { get; init; }
    public GeneralConfig General { get; init; } = new();
    internal IReadOnlyDictionary<string, ConfigSection> Sections { get; init; } = new Dictionary<string, ConfigSection>();

    /// <summary>Non-fatal findings (unknown keys), printed as warnings.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    internal ConfigSection Section(string name) =>
        Sections.TryGetValue(name, out var s) ? s : ConfigSection.Empty(name, SourceFile);
}
