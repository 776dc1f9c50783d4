using System.Text;
using System.Text.RegularExpressions;
using CommandLine;
using CommandLine.Text;

namespace Tunmux.Host.Cli;

/// <summary>
/// Help at every level through CommandLineParser's <see cref="HelpText"/>, customised to tunmux's
/// shape: the verb's one-line description, the usage line, then one line per flag (or per command of
/// a group); no copyright banner, no blank lines between flags.
/// </summary>
internal static partial class Help
{
    // Wide enough that no flag's line wraps: one line per flag.
    private const int Width = 250;

    [GeneratedRegex(@"(?<name>\S+) \(pos\. \d+\)")]
    private static partial Regex PositionalName();

    /// <summary><c>usage: tunmux airvpn ports add [flags] &lt;port&gt;</c>.</summary>
    public static string UsageLine(VerbModel verb, string commandPath)
    {
        var sb = new StringBuilder("usage: ").Append(commandPath);
        if (verb.IsGroup) return sb.Append(" <command> [flags]").ToString();
        if (verb.Options.Count > 0) sb.Append(" [flags]");
        foreach (var v in verb.Values) sb.Append(v.Required ? $" <{v.MetaName}>" : $" [{v.MetaName}]");
        return sb.ToString();
    }

    /// <summary>The help of a verb that runs: its flags and arguments.</summary>
    public static string Verb(VerbModel verb, string commandPath, IEnumerable<string>? extraLines = null)
    {
        var text = New(verb.Help, UsageLine(verb, commandPath), autoHelp: true, dashes: true);
        // A parse of the bare verb gives CommandLineParser the class to describe (a missing required argument does not matter here).
        text.AddOptions(VerbParser.Instance.ParseArguments([verb.Name], verb.Type));
        foreach (var line in extraLines ?? []) text.AddPostOptionsLine(line);
        return Finish(text);
    }

    /// <summary>The help of a group: its commands, one line each.</summary>
    public static string Group(string heading, string commandPath, IReadOnlyList<Type> verbs, IEnumerable<string>? extraLines = null)
    {
        var text = New(heading, $"usage: {commandPath} <command> [flags]", autoHelp: false, dashes: false);
        text.AddVerbs([.. verbs]);
        foreach (var line in extraLines ?? []) text.AddPostOptionsLine(line);
        text.AddPostOptionsLine($"Run '{commandPath} <command> --help' for a command's flags.");
        return Finish(text);
    }

    /// <summary>Global flags under a group's commands (the top level's <c>-v</c>, <c>--version</c>).</summary>
    public static string GroupWithFlags(string heading, string commandPath, IReadOnlyList<Type> verbs, Type flags, IEnumerable<string> extraLines)
    {
        var text = New(heading, $"usage: {commandPath} [flags] <command> ...", autoHelp: false, dashes: false);
        text.AddVerbs([.. verbs]);
        foreach (var line in extraLines) text.AddPostOptionsLine(line);
        text.AddPostOptionsLine($"Run '{commandPath} <command> --help' for a command's flags.");
        var flagText = New("\nflags:", "", autoHelp: true, dashes: true);
        flagText.AddOptions(VerbParser.Instance.ParseArguments([VerbModel.Of(flags).Name], flags));
        return Finish(text) + Finish(flagText);
    }

    private static HelpText New(string heading, string usage, bool autoHelp, bool dashes)
    {
        // CommandLineParser's heading is followed directly by the pre-options lines: the blank line goes in the heading.
        var text = new HelpText(Sentences.Instance, usage.Length > 0 ? heading + "\n" : heading, "")
        {
            AddDashesToOption = dashes,
            AdditionalNewLineAfterOption = false,
            AddEnumValuesToHelpText = false,
            AutoHelp = autoHelp,
            AutoVersion = false,
            MaximumDisplayWidth = Width,
        };
        if (usage.Length > 0) text.AddPreOptionsLine(usage);
        return text;
    }

    /// <summary>Arguments read <c>&lt;port&gt;</c> as in the usage line; one trailing newline.</summary>
    private static string Finish(HelpText text)
    {
        var lines = text.ToString().Replace("\r\n", "\n").Split('\n').Select(l =>
            PositionalName().Replace(l, m => $"<{m.Groups["name"].Value}>".PadRight(m.Length))).ToList();
        return string.Join('\n', lines).TrimEnd() + "\n";
    }

    /// <summary>CommandLineParser's words, tunmux's wording for the built-in help flag.</summary>
    private sealed class Sentences : SentenceBuilder
    {
        public static readonly Sentences Instance = new();
        private static readonly SentenceBuilder Default = Create();

        public override Func<string> RequiredWord => () => "required:";
        public override Func<string> OptionGroupWord => Default.OptionGroupWord;
        public override Func<string> ErrorsHeadingText => Default.ErrorsHeadingText;
        public override Func<string> UsageHeadingText => Default.UsageHeadingText;
        public override Func<bool, string> HelpCommandText => _ => "show this help";
        public override Func<bool, string> VersionCommandText => _ => "print the version";
        public override Func<Error, string> FormatError => Default.FormatError;
        public override Func<IEnumerable<MutuallyExclusiveSetError>, string> FormatMutuallyExclusiveSetErrors => Default.FormatMutuallyExclusiveSetErrors;
    }
}
