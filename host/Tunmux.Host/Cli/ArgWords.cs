namespace Tunmux.Host.Cli;

/// <summary>Questions about the raw words of a command line that come before any parsing.</summary>
internal static class ArgWords
{
    /// <summary>True when <c>-h</c> or <c>--help</c> appears before <c>--</c>.</summary>
    public static bool WantsHelp(IEnumerable<string> words)
    {
        foreach (var w in words)
        {
            if (w == "--") return false;
            if (w is "-h" or "--help") return true;
        }
        return false;
    }
}
