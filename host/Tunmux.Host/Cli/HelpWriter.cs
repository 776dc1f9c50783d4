using System.Text;
using Tunmux.Contracts;

namespace Tunmux.Host.Cli;

/// <summary>Help text for every level, rendered from the same specs the parser uses.</summary>
public static class HelpWriter
{
    public static string UsageLine(VerbSpec verb, string commandPath)
    {
        var sb = new StringBuilder("usage: ").Append(commandPath);
        if (verb.Subverbs.Count > 0) return sb.Append(" <command> [flags]").ToString();
        if (verb.Options.Count > 0) sb.Append(" [flags]");
        foreach (var a in verb.Arguments) sb.Append(a.Required ? $" <{a.Name}>" : $" [{a.Name}]");
        return sb.ToString();
    }

    public static string Render(VerbSpec verb, string commandPath)
    {
        var sb = new StringBuilder();
        sb.AppendLine(verb.Help).AppendLine();
        sb.AppendLine(UsageLine(verb, commandPath));
        if (verb.Subverbs.Count > 0)
        {
            sb.AppendLine().AppendLine("commands:");
            var width = verb.Subverbs.Max(v => v.Name.Length);
            foreach (var v in verb.Subverbs) sb.Append("  ").Append(v.Name.PadRight(width)).Append("  ").AppendLine(v.Help);
        }
        if (verb.Arguments.Count > 0)
        {
            sb.AppendLine().AppendLine("arguments:");
            var width = verb.Arguments.Max(a => a.Name.Length + 2);
            foreach (var a in verb.Arguments) sb.Append("  ").Append($"<{a.Name}>".PadRight(width)).Append("  ").AppendLine(a.Help);
        }
        var options = verb.Options.Append(new OptionSpec("help", "show this help") { Short = 'h' }).ToList();
        sb.AppendLine().AppendLine("flags:");
        var forms = options.Select(OptionForm).ToList();
        var w = forms.Max(f => f.Length);
        for (var i = 0; i < options.Count; i++)
        {
            sb.Append("  ").Append(forms[i].PadRight(w)).Append("  ").Append(options[i].Help);
            if (options[i].AllowedValues.Count > 0) sb.Append(" (").AppendJoin('|', options[i].AllowedValues).Append(')');
            if (options[i].Repeatable) sb.Append(" (repeatable)");
            sb.AppendLine();
        }
        if (verb.Subverbs.Count > 0) sb.AppendLine().AppendLine($"Run '{commandPath} <command> --help' for a command's flags.");
        return sb.ToString();
    }

    private static string OptionForm(OptionSpec o)
    {
        var s = o.Short is { } c ? $"-{c}, --{o.Name}" : $"    --{o.Name}";
        return o.ValueName is null ? s : $"{s} <{o.ValueName}>";
    }
}
