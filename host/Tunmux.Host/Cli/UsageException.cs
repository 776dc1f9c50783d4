namespace Tunmux.Host;

/// <summary>A command line that does not parse: one line naming the offending word, then the usage; exit code 2.</summary>
public sealed class UsageException(string message, string? usage = null) : Exception(message)
{
    public string? Usage { get; } = usage;
}
