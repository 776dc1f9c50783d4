using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Tunmux.Host.Tests;

/// <summary>
/// tunmux(1) against <c>--help</c>: for every command of the host and of each installed provider (groups
/// walked), the page has the same usage line, description, arguments and flags (names, value names,
/// texts) as the command's help, and no command the help does not list.
/// </summary>
[TestFixture]
public sealed partial class ManPageTests
{
    private CliHarness _cli = null!;
    private Dictionary<string, ManBlock> _page = null!;
    private string _roff = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _cli = new CliHarness("testgood", "proton", "airvpn");
        Assert.That(_cli.Run("manpage"), Is.Zero, _cli.Err);
        _roff = _cli.Out;
        _page = ManBlock.Parse(_roff);
    }

    [OneTimeTearDown]
    public void TearDown() => _cli.Dispose();

    [Test]
    public void The_page_is_a_man_page_with_its_sections()
    {
        Assert.That(_roff, Does.StartWith(".TH TUNMUX 1 "));
        foreach (var section in new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "GLOBAL FLAGS", "COMMANDS", "PROVIDERS", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO" })
            Assert.That(_roff, Does.Contain($".SH {Quoted(section)}\n"), section);
    }

    [Test]
    public void Every_command_the_help_lists_has_the_same_entry_in_the_page()
    {
        var checkedPaths = new List<string>();
        foreach (var top in ListedCommands("--help"))
        {
            if (top == "connect") continue; // 'tunmux connect <provider>' is described as the providers' connect
            Compare("tunmux " + top, checkedPaths);
        }
        foreach (var provider in new[] { "testgood", "proton", "airvpn" })
        {
            foreach (var verb in ListedCommands(provider, "--help")) Compare($"tunmux {provider} {verb}", checkedPaths);
        }
        Assert.That(checkedPaths, Does.Contain("tunmux airvpn ports add").And.Contain("tunmux testgood ports add").And.Contain("tunmux proton connect"));
        Assert.That(_page.Keys.Where(k => !checkedPaths.Contains(k) && k != "tunmux connect"), Is.Empty, "the page has commands the help does not list");
    }

    [Test]
    public void Hidden_verbs_are_not_in_the_page()
    {
        Assert.That(_page.Keys, Has.None.Contain("__complete").And.None.Contain("manpage"));
    }

    [Test]
    public void Global_flags_are_the_root_helps()
    {
        Assert.That(_cli.Run("--help"), Is.Zero);
        foreach (var (key, text) in HelpFlags(_cli.Out.Split("flags:")[1]))
        {
            if (key == "--help") continue;
            Assert.That(Unescape(_roff), Does.Contain(text), key);
        }
    }

    /// <summary>One command: a group's help against the page's list, or a verb's flags and arguments against the page's.</summary>
    private void Compare(string path, List<string> checkedPaths)
    {
        checkedPaths.Add(path);
        var words = path.Split(' ').Skip(1).ToArray();
        Assert.That(_cli.Run([.. words, "--help"], parseOnly: false), Is.Zero, path + ": " + _cli.Err);
        var help = _cli.Out;
        Assert.That(_page.TryGetValue(path, out var block), Is.True, $"'{path}' is not in the page");
        var usage = help.Split('\n').Single(l => l.StartsWith("usage: ", StringComparison.Ordinal))["usage: ".Length..];
        Assert.That(block!.Usage, Is.EqualTo(usage), path);

        if (usage.EndsWith("<command> [flags]", StringComparison.Ordinal))
        {
            var listed = ListedCommands([.. words, "--help"]);
            Assert.That(block.Commands, Is.EqualTo(listed), path + ": commands");
            foreach (var sub in listed) Compare($"{path} {sub}", checkedPaths);
            return;
        }
        Assert.That(block.Description, Is.EqualTo(help.Split('\n')[0]), path + ": description");
        var expected = HelpFlags(help).Where(f => f.Key != "--help").ToDictionary(f => f.Key, f => f.Text);
        Assert.That(block.Entries, Is.EquivalentTo(expected), path + ": arguments and flags");
    }

    /// <summary>The command words a group's help lists (its first column).</summary>
    private List<string> ListedCommands(params string[] args)
    {
        Assert.That(_cli.Run(args, parseOnly: false), Is.Zero, _cli.Err);
        var lines = _cli.Out.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("usage: ", StringComparison.Ordinal)) + 1;
        return lines.Skip(start).TakeWhile(l => !l.StartsWith("Run '", StringComparison.Ordinal) && !l.StartsWith("providers:", StringComparison.Ordinal))
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Trim().Length > 0)
            .Select(l => l.Trim().Split(' ')[0].TrimEnd(','))
            .ToList();
    }

    /// <summary>A help's flag and argument lines, keyed by a label in one canonical form: <c>-c, --country=CC</c>, <c>&lt;server&gt;</c>.</summary>
    private static IEnumerable<(string Key, string Text)> HelpFlags(string help)
    {
        foreach (var line in help.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)))
        {
            var parts = ColumnGap().Split(line.Trim(), 2);
            if (parts.Length != 2) continue;
            yield return (Canonical(parts[0]), parts[1].Trim());
        }
    }

    /// <summary>"-c CC, --country=CC" and "-c, --country=CC" both become "-c, --country=CC".</summary>
    internal static string Canonical(string label)
    {
        if (label.StartsWith('<')) return label;
        var names = label.Split(", ").Select(n => n.Split(' ')[0]).ToList();
        return string.Join(", ", names);
    }

    private static string Quoted(string s) => s.Contains(' ') ? $"\"{s}\"" : s;

    internal static string Unescape(string roff) =>
        roff.Replace(@"\fB", "").Replace(@"\fI", "").Replace(@"\fR", "").Replace(@"\-", "-").Replace(@"\&", "").Replace(@"\e", @"\");

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex ColumnGap();

    /// <summary>One command's entry in the page: usage, description, its command list or its flags and arguments.</summary>
    private sealed class ManBlock
    {
        public string Usage { get; private init; } = "";
        public string Description { get; private set; } = "";
        public List<string> Commands { get; } = [];
        public Dictionary<string, string> Entries { get; } = [];

        public static Dictionary<string, ManBlock> Parse(string roff)
        {
            var lines = roff.Split('\n');
            var blocks = new Dictionary<string, ManBlock>();
            for (var i = 0; i + 2 < lines.Length; i++)
            {
                if (lines[i] != ".PP" || lines[i + 2] != ".RS 4") continue;
                var usage = Unescape(lines[i + 1]);
                var block = new ManBlock { Usage = usage };
                var j = i + 3;
                block.Description = Unescape(lines[j++]);
                for (; j < lines.Length && lines[j] != ".RE"; j++)
                {
                    var text = Unescape(lines[j]);
                    if (text.StartsWith("Commands: ", StringComparison.Ordinal))
                        block.Commands.AddRange(text["Commands: ".Length..].Split(" (default")[0].Split(", "));
                    if (lines[j] == ".TP")
                    {
                        var label = Unescape(lines[j + 1]);
                        block.Entries[Canonical(label)] = Unescape(lines[j + 2]);
                        j += 2;
                    }
                }
                var path = usage.Split(" [")[0].Split(" <")[0];
                blocks[path] = block;
            }
            return blocks;
        }
    }
}
