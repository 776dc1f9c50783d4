using System.Globalization;
using Tunmux.Contracts;

namespace Tunmux.Host.Cli;

/// <summary>
/// Parses one verb's arguments against its <see cref="VerbSpec"/>: <c>--name value</c>,
/// <c>--name=value</c>, <c>-s value</c>, switches, positionals, and <c>--</c> to end flags.
/// Provider verbs are declared by plugins at run time, so they are parsed from their specs.
/// </summary>
public static class ArgParser
{
    public static ParsedOptions Parse(VerbSpec verb, IReadOnlyList<string> args, string commandPath)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var positionals = new List<string>();
        var usage = HelpWriter.UsageLine(verb, commandPath);
        var onlyPositionals = false;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (onlyPositionals || arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--") { onlyPositionals = true; continue; }

            string name;
            string? inline = null;
            OptionSpec? spec;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = arg.IndexOf('=');
                name = eq > 0 ? arg[2..eq] : arg[2..];
                if (eq > 0) inline = arg[(eq + 1)..];
                spec = verb.Options.FirstOrDefault(o => o.Name == name);
            }
            else
            {
                if (arg.Length != 2) throw new UsageException($"unknown flag '{arg}' for '{commandPath}'", usage);
                spec = verb.Options.FirstOrDefault(o => o.Short == arg[1]);
                name = spec?.Name ?? arg;
            }
            if (spec is null) throw new UsageException($"unknown flag '{arg}' for '{commandPath}'", usage);

            if (!values.TryGetValue(spec.Name, out var list)) values[spec.Name] = list = [];
            else if (!spec.Repeatable && spec.ValueName is not null)
                throw new UsageException($"flag '--{spec.Name}' given twice for '{commandPath}'", usage);

            if (spec.ValueName is null)
            {
                if (inline is not null) throw new UsageException($"flag '--{spec.Name}' takes no value", usage);
                continue;
            }
            var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"flag '--{spec.Name}' needs a value <{spec.ValueName}>", usage));
            CheckValue(spec, value, usage);
            list.Add(value);
        }

        foreach (var o in verb.Options.Where(o => o.Required && !values.ContainsKey(o.Name)))
            throw new UsageException($"missing flag '--{o.Name}' for '{commandPath}'", usage);

        for (var p = 0; p < verb.Arguments.Count; p++)
        {
            var a = verb.Arguments[p];
            if (p >= positionals.Count)
            {
                if (a.Required) throw new UsageException($"missing argument <{a.Name}> for '{commandPath}'", usage);
                continue;
            }
            if (a.IsInteger && !InRange(positionals[p], a.Min, a.Max))
                throw new UsageException($"argument <{a.Name}> '{positionals[p]}' must be an integer from {a.Min} to {a.Max}", usage);
        }
        if (positionals.Count > verb.Arguments.Count)
            throw new UsageException($"unexpected argument '{positionals[verb.Arguments.Count]}' for '{commandPath}'", usage);

        return new ParsedOptions(values.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value), positionals);
    }

    private static void CheckValue(OptionSpec spec, string value, string usage)
    {
        if (spec.AllowedValues.Count > 0 && !spec.AllowedValues.Contains(value))
            throw new UsageException($"flag '--{spec.Name}' got '{value}'; allowed: {string.Join(", ", spec.AllowedValues)}", usage);
        if (spec.IsInteger && !InRange(value, spec.Min, spec.Max))
            throw new UsageException($"flag '--{spec.Name}' got '{value}'; expected an integer from {spec.Min} to {spec.Max}", usage);
    }

    private static bool InRange(string s, long min, long max) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max;

    private static bool IsNegativeNumber(string s) => s.Length > 1 && s[0] == '-' && char.IsAsciiDigit(s[1]);
}
