using Tunmux.Host.Cli;

namespace Tunmux.Host.Shell;

/// <summary>One completion: the word and a short description (zsh and fish show it).</summary>
internal sealed record Candidate(string Word, string Description);

/// <summary>
/// The candidates for a word, and whether the shell should offer file names when there are none; or, with
/// <see cref="ProgramAt"/>, that the words from that index on (0 = the first word after <c>tunmux</c>) are a
/// program's command line, which the shell completes as its own (the program's name, then its arguments).
/// </summary>
internal sealed record Completions(IReadOnlyList<Candidate> Candidates, bool Files, int? ProgramAt = null)
{
    public static readonly Completions None = new([], false);
    public static readonly Completions FileNames = new([], true);
    public static Completions Program(int at) => new([], false, at);
}

/// <summary>An exit a user can name: for <c>disconnect</c>, <c>exec</c> and anything else that takes an instance.</summary>
internal sealed record LiveInstance(string Name, string Provider, string Description);

/// <summary>
/// Completes a command line the way the dispatcher reads it: the words are walked through the host's
/// verbs and a provider's verbs and groups (<see cref="CommandTree"/>), and the last word is completed as
/// a command, a flag, a flag's value or an argument of the verb reached. What a value can be comes from
/// the declarations: <c>[AllowedValues]</c> and enums, an argument or flag value named <c>instance</c> (the
/// live instances), <c>provider</c> (the installed providers), or a file or path (the shell's file names).
/// </summary>
internal sealed class CompletionEngine(CommandTree tree, Func<IReadOnlyList<LiveInstance>> instances)
{
    /// <summary>
    /// <paramref name="words"/> are the words after <c>tunmux</c>; the last is the one being completed
    /// (empty when the cursor follows a space).
    /// </summary>
    public Completions Complete(IReadOnlyList<string> words)
    {
        var current = words.Count > 0 ? words[^1] : "";
        if (ProgramStart(words) is { } program)
            return program < words.Count - 1 || (program == words.Count - 1 && current != "--") ? Completions.Program(program) : Completions.None;
        // -v and --verbose are accepted anywhere, as the dispatcher accepts them; 'help X' completes as X.
        var before = words.Take(Math.Max(0, words.Count - 1)).Where(w => w is not ("-v" or "--verbose")).ToList();
        if (before.Count > 0 && before[0] == "help") before.RemoveAt(0);

        var i = 0;
        while (i < before.Count && before[i].StartsWith('-')) i++;
        if (i == before.Count)
            return current.StartsWith('-') ? Flags(tree.GlobalFlags, [], current) : Filter(TopLevel(), current);

        var word = before[i];
        var rest = before.Skip(i + 1).ToList();
        if (word == "connect" && rest.Count > 0 && tree.IsProvider(rest[0]))
            return CompleteProvider(rest[0], ["connect", .. rest.Skip(1)], current);
        if (VerbModel.Find(HostVerbs.All, word) is { } verb)
            return verb.Type == typeof(CompleteVerb) ? Completions.None : CompleteVerb(verb, rest, current, provider: null);
        return tree.IsProvider(word) ? CompleteProvider(word, rest, current) : Completions.None;
    }

    /// <summary>
    /// Where the program starts when the command is a host verb that runs one (<c>exec</c>: its arguments, then
    /// a list argument named <c>command</c>): every word after its own arguments and an optional <c>--</c> is the
    /// program's, flags included, as the dispatcher reads them. Null when the line is not such a command, or the
    /// word being completed is still one of the verb's own.
    /// </summary>
    private int? ProgramStart(IReadOnlyList<string> words)
    {
        var i = 0;
        while (i < words.Count - 1 && words[i].StartsWith('-')) i++;
        if (i >= words.Count - 1 || tree.HostVerbs.FirstOrDefault(v => v.Name == words[i]) is not { } verb) return null;
        if (verb.Values.Count == 0 || verb.Values[^1] is not { MetaName: "command" } last
            || VerbModel.Kind(last.Property.PropertyType) != ValueKind.List) return null;
        var start = i + verb.Values.Count;
        if (start >= words.Count) return null;
        return words[start] == "--" && start < words.Count - 1 ? start + 1 : start;
    }

    private IEnumerable<Candidate> TopLevel() =>
        tree.HostVerbs.Select(v => new Candidate(v.Name, v.Help))
            .Concat(tree.ProviderNames.Select(p => new Candidate(p, "provider")));

    private Completions CompleteProvider(string name, IReadOnlyList<string> rest, string current)
    {
        if (tree.Provider(name) is not { } provider) return Completions.None;
        IReadOnlyList<Type> level = provider.Verbs.Top;
        var top = true;
        VerbModel? verb = null;
        var i = 0;
        for (; i < rest.Count; i++)
        {
            // A group run without a command word runs its default subverb (proton certificates --json).
            if (rest[i].StartsWith('-'))
            {
                verb = top ? null : VerbModel.FindDefault(level);
                if (verb is null) return Completions.None;
                break;
            }
            var found = VerbModel.Find(level, rest[i]);
            if (found is null) return Completions.None;
            if (!found.IsGroup)
            {
                verb = found;
                i++;
                break;
            }
            level = found.Subverbs;
            top = false;
        }
        if (verb is not null) return CompleteVerb(verb, rest.Skip(i).ToList(), current, name);

        if (!current.StartsWith('-'))
            return Filter(CommandTree.Visible(level).Select(v => new Candidate(v.Name, v.Help)), current);
        return !top && VerbModel.FindDefault(level) is { } fallback ? Flags(fallback, [], current) : Filter([HelpFlag], current);
    }

    /// <summary>The words after a verb that runs: its flags, a flag's value, or its next argument.</summary>
    private Completions CompleteVerb(VerbModel verb, IReadOnlyList<string> args, string current, string? provider)
    {
        var positionals = 0;
        var used = new List<OptionModel>();
        var afterDashDash = false;
        OptionModel? pending = null;
        foreach (var arg in args)
        {
            if (pending is not null)
            {
                pending = null;
                continue;
            }
            if (afterDashDash || arg.Length < 2 || arg[0] != '-' || char.IsAsciiDigit(arg[1]))
            {
                positionals++;
                continue;
            }
            if (arg == "--")
            {
                afterDashDash = true;
                continue;
            }
            var option = Option(verb, arg, out var inline);
            if (option is null) continue;
            used.Add(option);
            if (option.TakesValue && inline is null) pending = option;
        }

        if (pending is not null) return Values(pending, current, "", provider);
        if (!afterDashDash && current.StartsWith("--", StringComparison.Ordinal) && current.IndexOf('=') is var eq and > 2)
        {
            var option = verb.Long(current[2..eq]);
            return option is { TakesValue: true } ? Values(option, current[(eq + 1)..], current[..(eq + 1)], provider) : Completions.None;
        }
        if (!afterDashDash && current.StartsWith('-')) return Flags(verb, used, current);
        if (positionals < verb.Values.Count) return Argument(verb.Values[positionals], current, provider);
        // What follows the declared arguments (the program 'exec' runs, say) is the shell's to complete.
        return afterDashDash ? Completions.FileNames : Completions.None;
    }

    private static OptionModel? Option(VerbModel verb, string arg, out string? inline)
    {
        inline = null;
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            var eq = arg.IndexOf('=');
            if (eq > 0) inline = arg[(eq + 1)..];
            return verb.Long(eq > 0 ? arg[2..eq] : arg[2..]);
        }
        var option = verb.Short(arg[1]);
        if (option is { TakesValue: true } && arg.Length > 2) inline = arg[2..];
        return option;
    }

    private static readonly Candidate HelpFlag = new("--help", "show this help");

    private static Completions Flags(VerbModel verb, IReadOnlyList<OptionModel> used, string current)
    {
        var candidates = new List<Candidate>();
        foreach (var o in verb.Options.Where(o => o.Kind == ValueKind.List || !used.Contains(o)))
        {
            candidates.Add(new Candidate("--" + o.LongName, o.Help));
            if (o.ShortName is { } s) candidates.Add(new Candidate("-" + s, o.Help));
        }
        candidates.Add(HelpFlag);
        return Filter(candidates, current);
    }

    private Completions Values(OptionModel option, string current, string prefix, string? provider)
    {
        if (option.Allowed is { } allowed) return Filter(allowed.Select(a => new Candidate(prefix + a, "")), prefix + current);
        return Named(option.MetaValue ?? "", prefix, current, provider);
    }

    private Completions Argument(ValueModel value, string current, string? provider)
    {
        if (value.Allowed is { } allowed) return Filter(allowed.Select(a => new Candidate(a, "")), current);
        return Named(value.MetaName, "", current, provider);
    }

    /// <summary>A value known by its name alone: an instance, a provider, a file.</summary>
    private Completions Named(string name, string prefix, string current, string? provider)
    {
        var lower = name.ToLowerInvariant();
        if (lower == "instance")
            return Filter(instances().Where(i => provider is null || i.Provider == provider)
                .Select(i => new Candidate(prefix + i.Name, i.Description)), prefix + current);
        if (lower == "provider")
            return Filter(tree.ProviderNames.Select(p => new Candidate(prefix + p, "provider")), prefix + current);
        if (lower.Contains("file") || lower.Contains("path") || lower.Contains("dir")) return Completions.FileNames;
        return Completions.None;
    }

    private static Completions Filter(IEnumerable<Candidate> candidates, string current) =>
        new(candidates.Where(c => c.Word.StartsWith(current, StringComparison.Ordinal)).DistinctBy(c => c.Word).ToList(), false);

    /// <summary>
    /// The protocol of <c>tunmux __complete</c>: one candidate a line (word, tab, description), then <c>:files</c>,
    /// <c>:none</c>, or <c>:command N</c> (complete the words from index N on as a command line of their own).
    /// </summary>
    public static string Render(Completions completions)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in completions.Candidates)
        {
            sb.Append(c.Word);
            var description = OneLine(c.Description);
            if (description.Length > 0) sb.Append('\t').Append(description);
            sb.Append('\n');
        }
        sb.Append(completions.ProgramAt is { } at ? $":command {at}\n" : completions.Files ? ":files\n" : ":none\n");
        return sb.ToString();
    }

    private static string OneLine(string s) => string.Join(' ', s.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
