namespace Tunmux.Privileged.Daemon;

/// <summary>
/// The caller's variables that <c>tunmux exec</c> carries into a root-mode exit: its terminal's kind, its locale and
/// its time zone, nothing else. The program's environment is otherwise a login's (<see cref="Processes.RunAsCaller.BaseEnvironment"/>),
/// never the daemon's. The list is short and the values strict because the same environment is seen by the root tools
/// that start the program (<c>ip netns exec</c>, <c>setpriv</c>) before they drop to the caller: no variable that names
/// a library, a file or a path to load (glibc reads a locale or a time zone from a path that contains a slash).
/// </summary>
public static class ExecEnvironment
{
    public const int MaxVariables = 32, MaxValueLength = 256;

    /// <summary>True for a variable the daemon accepts with this value; the client sends only these.</summary>
    public static bool IsPassed(string name, string? value)
    {
        if (value is null || value.Length > MaxValueLength) return false;
        return name switch
        {
            "TERM" or "COLORTERM" => value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+'),
            "NO_COLOR" => value.All(c => c is >= ' ' and <= '~'),
            "COLUMNS" or "LINES" => value.Length is > 0 and <= 5 && value.All(char.IsAsciiDigit),
            // A time zone by name below the system's zone folder (Europe/Paris, :UTC, CET-1CEST), never a file of the caller's.
            "TZ" => value.Length > 0 && !value.TrimStart(':').StartsWith('/') && !value.Contains("..", StringComparison.Ordinal)
                    && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '+' or ':' or ',' or '.' or '<' or '>'),
            "LANGUAGE" => IsLocaleName(value, allowColon: true),
            _ when IsLocaleVariable(name) => IsLocaleName(value, allowColon: false),
            _ => false,
        };
    }

    private static bool IsLocaleVariable(string name) =>
        name is "LANG" or "LC_ALL" or "LC_CTYPE" or "LC_NUMERIC" or "LC_TIME" or "LC_COLLATE" or "LC_MONETARY" or "LC_MESSAGES"
            or "LC_PAPER" or "LC_NAME" or "LC_ADDRESS" or "LC_TELEPHONE" or "LC_MEASUREMENT" or "LC_IDENTIFICATION";

    /// <summary>A locale name (<c>en_US.UTF-8</c>, <c>sr_RS@latin</c>, <c>C</c>); a slash would make glibc load a file.</summary>
    private static bool IsLocaleName(string value, bool allowColon) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' || (allowColon && c == ':'))
        && !value.Contains("..", StringComparison.Ordinal);
}
