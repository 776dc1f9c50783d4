namespace Tunmux.Host.Plugins;

/// <summary>A plugin that cannot be used; the message is one line naming the plugin and why.</summary>
public sealed class PluginLoadException(string state, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary><c>missing</c>, <c>incompatible</c> or <c>broken</c>.</summary>
    public string State { get; } = state;
}
