using CommandLine;

namespace Tunmux.Host.Cli;

// The host's fixed verbs, parsed with CommandLineParser. Provider verbs are declared by plugins
// at run time and parsed from their specs by ArgParser instead.

[Verb("status")]
internal sealed class StatusOptions
{
    [Option("json")] public bool Json { get; set; }
}

[Verb("plugins")]
internal sealed class PluginsOptions
{
    [Option("json")] public bool Json { get; set; }
}

[Verb("disconnect")]
internal sealed class DisconnectOptions
{
    [Value(0, MetaName = "instance")] public string? Instance { get; set; }
    [Option('p', "provider")] public string? Provider { get; set; }
    [Option('a', "all")] public bool All { get; set; }
}

internal static class HostOptionsParser
{
    private static readonly Parser Parser = new(s =>
    {
        s.AutoHelp = false;
        s.AutoVersion = false;
        s.HelpWriter = null;
        s.CaseSensitive = true;
        s.EnableDashDash = true;
    });

    /// <summary>Parses <paramref name="args"/> (verb first) or throws a one-line <see cref="UsageException"/>.</summary>
    public static T Parse<T>(string[] args, Contracts.VerbSpec spec)
    {
        var result = Parser.ParseArguments(args, typeof(StatusOptions), typeof(PluginsOptions), typeof(DisconnectOptions));
        if (result is Parsed<object> { Value: T value }) return value;
        var errors = (result as NotParsed<object>)?.Errors ?? [];
        var path = "tunmux " + spec.Name;
        throw new UsageException(Describe(errors.FirstOrDefault(), path), HelpWriter.UsageLine(spec, path));
    }

    private static string Describe(Error? error, string path) => error switch
    {
        UnknownOptionError u => $"unknown flag '{(u.Token.Length == 1 ? "-" : "--")}{u.Token}' for '{path}'",
        MissingValueOptionError m => $"flag '--{m.NameInfo.LongName}' needs a value",
        BadFormatConversionError b => $"flag '--{b.NameInfo.LongName}' has a bad value",
        RepeatedOptionError r => $"flag '--{r.NameInfo.LongName}' given twice",
        SequenceOutOfRangeError s => $"bad number of values for '{s.NameInfo.NameText}'",
        _ when error?.Tag == ErrorType.UnknownOptionError => $"unknown flag for '{path}'",
        _ => $"cannot parse the arguments of '{path}'",
    };
}
