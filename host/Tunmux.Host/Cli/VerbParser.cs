using System.Globalization;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.Host.Cli;

/// <summary>
/// Parses the words after a verb into an instance of the verb's class with CommandLineParser. Before it
/// runs, the words are checked against the class's declared flags and arguments for what
/// CommandLineParser lets through silently (a flag at the end without its value, arguments beyond the
/// declared ones, a value on a switch) and for the allowed values and integer ranges declared with
/// <c>[AllowedValues]</c> and <c>[Range]</c>; each problem is one <see cref="UsageException"/> naming the word.
/// </summary>
internal static class VerbParser
{
    // Built on first use: most commands that reach a provider parse exactly once.
    private static readonly Lazy<Parser> Library = new(VerbParsing.CreateParser);

    internal static Parser Instance => Library.Value;

    /// <summary>
    /// Readies CommandLineParser (its tokenizer, binder and help writer run once, so their code is
    /// compiled) on this thread while the plugin loads on another. The words are the provider
    /// command's; a standard verb is parsed into its contracts class, which its provider's class derives from.
    /// </summary>
    public static void WarmUp(IReadOnlyList<string> words)
    {
        var standard = words.Count > 0 ? VerbModel.Find(StandardVerbs, words[0])?.Type : null;
        var type = standard ?? typeof(EngineProbe);
        var result = Library.Value.ParseArguments([VerbModel.VerbOf(type)!.Name], type);
        if (ArgWords.WantsHelp(words)) _ = Help.Verb(VerbModel.Of(type), "tunmux");
        GC.KeepAlive(result);
    }

    private static readonly Type[] StandardVerbs =
        [typeof(LoginOptions), typeof(LogoutOptions), typeof(InfoOptions), typeof(ServersOptions), typeof(ConnectOptions)];

    /// <summary>A verb with one flag and one argument, for <see cref="WarmUp"/> when the command is a provider's own verb.</summary>
    [Verb("probe")]
    private sealed class EngineProbe
    {
        [Option("flag")]
        public string? Flag { get; set; }

        [Value(0)]
        public string? Argument { get; set; }
    }

    public static object Parse(VerbModel verb, IReadOnlyList<string> args, string commandPath)
    {
        Check(verb, args, commandPath);
        var result = Library.Value.ParseArguments([verb.Name, .. args], verb.Type);
        if (result is Parsed<object> parsed) return parsed.Value;
        var error = ((NotParsed<object>)result).Errors.First();
        throw new UsageException(Describe(error, commandPath), Help.UsageLine(verb, commandPath));
    }

    /// <summary>The checks CommandLineParser does not make, in the order a user reads the line.</summary>
    private static void Check(VerbModel verb, IReadOnlyList<string> args, string path)
    {
        var usage = Help.UsageLine(verb, path);
        var seen = new HashSet<OptionModel>();
        var positionals = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                positionals.Add(arg);
                continue;
            }

            OptionModel? option;
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=');
                option = verb.Long(eq > 0 ? arg[2..eq] : arg[2..]);
                if (eq > 0) inline = arg[(eq + 1)..];
            }
            else
            {
                option = verb.Short(arg[1]);
                if (option is not null && arg.Length > 2)
                {
                    if (option.TakesValue) inline = arg[2..];
                    else if (arg.Skip(2).Any(c => verb.Short(c) is not { TakesValue: false }))
                        throw new UsageException($"unknown flag '{arg}' for '{path}'", usage);
                }
            }
            if (option is null) throw new UsageException($"unknown flag '{arg}' for '{path}'", usage);

            if (!seen.Add(option) && option.TakesValue && option.Kind != ValueKind.List)
                throw new UsageException($"flag '{option.Display}' given twice for '{path}'", usage);
            if (!option.TakesValue)
            {
                if (inline is not null && arg.StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"flag '{option.Display}' takes no value", usage);
                continue;
            }
            var value = inline ?? (i + 1 < args.Count && !IsFlag(args[i + 1]) ? args[++i] : null)
                ?? throw new UsageException($"flag '{option.Display}' needs a value <{option.MetaValue ?? "VALUE"}>", usage);
            CheckOption(option, value, usage);
        }

        foreach (var o in verb.Options.Where(o => o.Required && !seen.Contains(o)))
            throw new UsageException($"missing flag '{o.Display}' for '{path}'", usage);
        for (var p = 0; p < verb.Values.Count; p++)
        {
            var v = verb.Values[p];
            if (p >= positionals.Count)
            {
                if (v.Required) throw new UsageException($"missing argument <{v.MetaName}> for '{path}'", usage);
                continue;
            }
            if (v.Range is { } r && !InRange(positionals[p], r))
                throw new UsageException($"argument <{v.MetaName}> '{positionals[p]}' must be an integer from {r.Minimum} to {r.Maximum}", usage);
            if (v.Allowed is { } allowed && !allowed.Contains(positionals[p], StringComparer.OrdinalIgnoreCase))
                throw new UsageException($"argument <{v.MetaName}> got '{positionals[p]}'; allowed: {string.Join(", ", allowed)}", usage);
        }
        if (positionals.Count > verb.Values.Count)
            throw new UsageException($"unexpected argument '{positionals[verb.Values.Count]}' for '{path}'", usage);
    }

    private static void CheckOption(OptionModel option, string value, string usage)
    {
        var parts = option.Kind == ValueKind.List && option.Separator is { } sep ? value.Split(sep) : [value];
        foreach (var part in parts)
        {
            if (option.Allowed is { } allowed && !allowed.Contains(part, StringComparer.OrdinalIgnoreCase))
                throw new UsageException($"flag '{option.Display}' got '{part}'; allowed: {string.Join(", ", allowed)}", usage);
            if (option.Range is { } r && !InRange(part, r))
                throw new UsageException($"flag '{option.Display}' got '{part}'; expected an integer from {r.Minimum} to {r.Maximum}", usage);
            if (option.Kind == ValueKind.Integer && !long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                throw new UsageException($"flag '{option.Display}' got '{part}'; expected an integer", usage);
        }
    }

    private static bool InRange(string s, System.ComponentModel.DataAnnotations.RangeAttribute range) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
        && n >= Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture) && n <= Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture);

    private static bool IsFlag(string s) => s.Length > 1 && s[0] == '-' && !IsNegativeNumber(s);

    private static bool IsNegativeNumber(string s) => s.Length > 1 && s[0] == '-' && char.IsAsciiDigit(s[1]);

    /// <summary>What is left after <see cref="Check"/>: conversions CommandLineParser refused.</summary>
    private static string Describe(Error error, string path) => error switch
    {
        BadFormatConversionError b => $"flag '--{b.NameInfo.LongName}' has a value of the wrong kind for '{path}'",
        UnknownOptionError u => $"unknown flag '{u.Token}' for '{path}'",
        MissingRequiredOptionError m => $"missing '{m.NameInfo.NameText}' for '{path}'",
        MissingValueOptionError m => $"flag '--{m.NameInfo.LongName}' needs a value",
        _ => $"cannot parse the command line of '{path}' ({error.Tag})",
    };
}
