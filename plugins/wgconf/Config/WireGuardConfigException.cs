using Tunmux.Contracts;

namespace Tunmux.Plugins.WgConf.Config;

/// <summary>A WireGuard config that cannot be used, as one line: <c>file:line: what is wrong; what to do</c>.</summary>
public sealed class WireGuardConfigException : ProviderException
{
    public WireGuardConfigException(string source, int line, string problem)
        : base(line > 0 ? $"{source}:{line}: {problem}" : $"{source}: {problem}")
    {
        Source = source;
        Line = line;
    }

    /// <summary>The file (or profile) the config came from.</summary>
    public new string Source { get; }

    /// <summary>1-based line number, or 0 when the problem is the file as a whole.</summary>
    public int Line { get; }
}
