using System.Globalization;
using CommandLine;

namespace Tunmux.Contracts;

/// <summary>
/// CommandLineParser as tunmux sets it up for every verb: no help or version of its own (tunmux writes
/// help), enum values in any case, <c>--</c> ends the flags, list flags may repeat, invariant culture.
/// A plugin's tests can parse words into its verb classes exactly the way tunmux will.
/// </summary>
public static class VerbParsing
{
    /// <summary>A parser with tunmux's settings.</summary>
    public static Parser CreateParser() => new(s =>
    {
        s.HelpWriter = null;
        s.AutoHelp = false;
        s.AutoVersion = false;
        s.CaseInsensitiveEnumValues = true;
        s.EnableDashDash = true;
        s.AllowMultiInstance = true;
        s.ParsingCulture = CultureInfo.InvariantCulture;
    });
}
