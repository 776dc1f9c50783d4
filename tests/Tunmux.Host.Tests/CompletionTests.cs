using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Host.State;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

/// <summary>
/// Shell completion through the generated scripts: bash runs <c>tunmux completion bash</c>'s function the
/// way programmable completion calls it (COMP_LINE, COMP_POINT, COMP_WORDS split at blanks and '=', as
/// bash splits them), fish answers <c>complete -C</c>, zsh runs its function. The <c>tunmux</c> the
/// scripts call is this build; its plugins and connection state are the test's own.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CompletionTests
{
    private CliHarness _cli = null!;
    private TempDir _bin = null!;
    private string _bashScript = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _cli = new CliHarness("testgood", "proton", "airvpn");
        _bin = new TempDir("tunmux-completion-bin-");
        // The apphost built beside the tests, reached through PATH as a user's shell reaches tunmux.
        File.CreateSymbolicLink(_bin.Combine("tunmux"), Path.Combine(AppContext.BaseDirectory, "tunmux"));
        var store = new ConnectionStore(_cli.Paths);
        store.Save(State("us-1", "proton", "US#1"));
        store.Save(State("castor", "airvpn", "Castor"));
        Assert.That(_cli.Run("completion", "bash"), Is.Zero, _cli.Err);
        _bashScript = Path.Combine(_cli.Root, "tunmux.bash");
        File.WriteAllText(_bashScript, _cli.Out);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _bin.Dispose();
        _cli.Dispose();
    }

    private static ConnectionState State(string instance, string provider, string server) => new()
    {
        Instance = instance,
        Provider = provider,
        Server = server,
        Mode = "proxy",
        Backend = "kernel",
        Interface = "wg-" + instance,
        SocksPort = 1080,
        HttpPort = 8118,
    };

    [Test]
    public void The_bash_script_registers_its_function_for_tunmux()
    {
        var r = RunShell("bash", ["--norc", "--noprofile", "-c", "source \"$0\"; complete -p tunmux", _bashScript]);
        Assert.That(r.Output.Trim(), Is.EqualTo("complete -F _tunmux tunmux"), r.Error);
    }

    [Test]
    public void Bash_completes_commands_and_installed_providers()
    {
        Assert.That(Bash("tunmux "), Is.SupersetOf(new[] { "status", "plugins", "connect", "disconnect", "doctor", "completion", "testgood", "proton", "airvpn" }));
        Assert.That(Bash("tunmux "), Has.None.StartsWith("__").And.None.EqualTo("manpage"), "hidden verbs are never offered");
        Assert.That(Bash("tunmux d"), Is.EquivalentTo(new[] { "disconnect", "doctor" }));
        Assert.That(Bash("tunmux pr"), Is.EquivalentTo(new[] { "privileged", "proton" }));
        Assert.That(Bash("tunmux completion "), Is.EquivalentTo(new[] { "bash", "zsh", "fish" }));
        Assert.That(Bash("tunmux connect "), Is.EquivalentTo(new[] { "airvpn", "proton", "testgood" }));
    }

    [Test]
    public void Bash_completes_provider_verbs_from_the_plugin_nested_groups_included()
    {
        Assert.That(Bash("tunmux testgood "), Is.EquivalentTo(new[] { "login", "logout", "info", "servers", "connect", "refresh", "disconnect", "status", "whoami", "ports" }));
        Assert.That(Bash("tunmux testgood ports "), Is.EquivalentTo(new[] { "add" }));
        Assert.That(Bash("tunmux airvpn ports "), Is.SupersetOf(new[] { "list", "add", "set", "remove" }));
        Assert.That(Bash("tunmux airvpn po"), Is.EquivalentTo(new[] { "ports" }));
        Assert.That(Bash("tunmux -v proton se"), Is.EquivalentTo(new[] { "servers" }), "-v is accepted anywhere");
    }

    [Test]
    public void A_plugin_installed_later_is_completed_without_touching_the_script()
    {
        using var later = new TempDir("tunmux-completion-later-");
        PluginLayout.Install(later.Path, "testspy");
        var extra = new Dictionary<string, string> { ["TUNMUX_PLUGIN_PATH"] = _cli.PluginsDir + ":" + later.Path };
        Assert.That(Bash("tunmux tests", extra), Is.EquivalentTo(new[] { "testspy" }));
        Assert.That(Bash("tunmux testspy ", extra), Does.Contain("whoami"));
    }

    [Test]
    public void Bash_completes_flags_of_the_verb_reached_the_plugins_own_included()
    {
        Assert.That(Bash("tunmux testgood connect --f"), Is.EquivalentTo(new[] { "--fast" }));
        Assert.That(Bash("tunmux proton connect --"), Is.SupersetOf(new[] { "--proxy", "--backend", "--country", "--p2p", "--secure-core", "--help" }));
        Assert.That(Bash("tunmux proton connect --proxy --pro"), Is.EquivalentTo(new[] { "--proxy-access-log", "--proxy-user", "--proxy-share", "--proxy-allow" }), "a flag given once is not offered again");
        Assert.That(Bash("tunmux disconnect -"), Is.SupersetOf(new[] { "--all", "-a", "--provider", "-p", "--help" }));
        Assert.That(Bash("tunmux status --"), Is.EquivalentTo(new[] { "--json", "--check", "--help" }));
        Assert.That(Bash("tunmux --ver"), Is.EquivalentTo(new[] { "--verbose", "--version" }));
    }

    [Test]
    public void Bash_completes_flag_values_from_their_declarations()
    {
        Assert.That(Bash("tunmux proton connect --backend "), Is.EquivalentTo(new[] { "auto", "wg-quick", "userspace", "kernel" }));
        Assert.That(Bash("tunmux proton connect -b u"), Is.EquivalentTo(new[] { "userspace" }));
        Assert.That(Bash("tunmux proton connect --sort "), Is.EquivalentTo(new[] { "score", "load", "name", "latency" }), "an enum's words");
        Assert.That(Bash("tunmux testgood ports add 80 --protocol "), Is.EquivalentTo(new[] { "tcp", "udp", "both" }));
        // Bash makes '=' a word of its own and replaces only what follows it.
        Assert.That(Bash("tunmux proton connect --backend=k"), Is.EquivalentTo(new[] { "kernel" }));
        Assert.That(Bash("tunmux proton connect --backend="), Is.EquivalentTo(new[] { "=auto", "=wg-quick", "=userspace", "=kernel" }));
        Assert.That(Bash("tunmux disconnect --provider "), Is.EquivalentTo(new[] { "airvpn", "proton", "testgood" }));
    }

    [Test]
    public void Bash_completes_live_instance_names_for_disconnect()
    {
        Assert.That(Bash("tunmux disconnect "), Is.EquivalentTo(new[] { "us-1", "castor" }));
        Assert.That(Bash("tunmux disconnect c"), Is.EquivalentTo(new[] { "castor" }));
        Assert.That(Bash("tunmux proton disconnect "), Is.EquivalentTo(new[] { "us-1" }), "below a provider, only its instances");
        Assert.That(Bash("tunmux disconnect --all "), Is.EquivalentTo(new[] { "us-1", "castor" }));
        Assert.That(Bash("tunmux disconnect us-1 "), Is.Empty, "one instance only");

        // A connection made after the script was loaded is offered at once.
        var store = new ConnectionStore(_cli.Paths);
        store.Save(State("ch-3", "proton", "CH#3"));
        try
        {
            Assert.That(Bash("tunmux proton disconnect "), Is.EquivalentTo(new[] { "us-1", "ch-3" }));
        }
        finally
        {
            store.Delete("ch-3");
        }
    }

    [Test]
    public void Exec_completes_live_instances_then_the_program_as_a_command_line_of_its_own()
    {
        if (!Tunmux.Host.Cli.HostVerbs.All.Any(t => Tunmux.Host.Cli.VerbModel.Of(t).Name == "exec"))
            Assert.Ignore("this build has no 'tunmux exec' verb to complete");
        Assert.That(Bash("tunmux exec "), Is.EquivalentTo(new[] { "us-1", "castor" }));
        Assert.That(Bash("tunmux exec c"), Is.EquivalentTo(new[] { "castor" }));

        // After the instance every word is the program's (its flags too): the shell completes them as a line of their own.
        Assert.That(Engine("exec", "us-1", ""), Does.EndWith(":command 2\n"));
        Assert.That(Engine("exec", "us-1", "--", "cu"), Does.EndWith(":command 3\n"));
        Assert.That(Engine("-v", "exec", "us-1", "curl", "-v"), Does.EndWith(":command 3\n"), "the program's -v is not tunmux's");
        Assert.That(Engine("exec", "us-1", "--"), Does.EndWith(":none\n"));
        // Without bash-completion's _command_offset: bash's own command names, then file names.
        Assert.That(Bash("tunmux exec us-1 ech"), Does.Contain("echo"));
        Assert.That(Bash("tunmux exec castor -- ech"), Does.Contain("echo"));
        var dir = Path.Combine(_cli.Root, "exec-files");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "page.html"), "");
        Assert.That(Bash($"tunmux exec us-1 cat {dir}/pa"), Is.EquivalentTo(new[] { $"{dir}/page.html" }));

        if (Requires.Which("fish") is { } fish)
        {
            Assert.That(_cli.Run("completion", "fish"), Is.Zero);
            var script = Path.Combine(_cli.Root, "tunmux-exec.fish");
            File.WriteAllText(script, _cli.Out);
            string Fish(string line) => RunShell(fish, ["--no-config", "-c", $"source {script}; complete -C '{line}'"]).Output;
            Assert.That(Fish("tunmux exec ").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]),
                Is.EquivalentTo(new[] { "us-1", "castor" }));
            Assert.That(Fish("tunmux exec us-1 ech"), Does.Contain("echo"));
        }
        if (Requires.Which("zsh") is { } zsh)
        {
            Assert.That(_cli.Run("completion", "zsh"), Is.Zero);
            var script = Path.Combine(_cli.Root, "_tunmux-exec");
            File.WriteAllText(script, _cli.Out);
            // _normal stands in as a printer: the words and position zsh would complete the program with.
            var program = $"compdef() {{ :; }}; _normal() {{ print -r -- \"$CURRENT ${{words[*]}}\"; }}; source {script}; " +
                          "words=(tunmux -v exec us-1 -- curl -s); CURRENT=7; _tunmux";
            Assert.That(RunShell(zsh, ["-f", "-c", program]).Output.Trim(), Is.EqualTo("2 curl -s"));
        }
    }

    [Test]
    public void Bash_offers_nothing_for_an_unknown_command_and_files_where_a_file_is_named()
    {
        Assert.That(Bash("tunmux nosuch "), Is.Empty);
        Assert.That(Bash("tunmux proton nosuch --"), Is.Empty);
        Assert.That(Engine("airvpn", "generate", "-o", ""), Does.EndWith(":files\n"), "a FILE value is the shell's file names");
        Assert.That(Engine("disconnect", ""), Does.EndWith(":none\n"));
        var dir = Path.Combine(_cli.Root, "confs");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "office.conf"), "");
        Assert.That(Bash($"tunmux airvpn generate -s nl -o {dir}/off"), Is.EquivalentTo(new[] { $"{dir}/office.conf" }));
        Assert.That(Bash($"tunmux proton login alice --totp-secret-file {dir}/"), Is.EquivalentTo(new[] { $"{dir}/office.conf" }));
    }

    [Test]
    public void Fish_completes_through_complete_C()
    {
        var fish = Requires.Which("fish");
        if (fish is null) Assert.Ignore("needs fish (Debian package fish) to drive its completion; build/setup.sh installs it");
        Assert.That(_cli.Run("completion", "fish"), Is.Zero);
        var script = Path.Combine(_cli.Root, "tunmux.fish");
        File.WriteAllText(script, _cli.Out);

        string[] Fish(string line) => RunShell(fish, ["--no-config", "-c", $"source {script}; complete -C '{line}'"]).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToArray();

        Assert.That(Fish("tunmux testgood "), Does.Contain("whoami").And.Contain("ports").And.Contain("connect"));
        Assert.That(Fish("tunmux proton connect --back"), Is.EquivalentTo(new[] { "--backend" }));
        Assert.That(Fish("tunmux disconnect "), Is.EquivalentTo(new[] { "us-1", "castor" }));
        var described = RunShell(fish, ["--no-config", "-c", $"source {script}; complete -C 'tunmux sta'"]).Output;
        Assert.That(described, Does.Contain("status\tShow connections"), "fish shows each candidate's description");
    }

    [Test]
    public void Zsh_completes_through_its_function()
    {
        var zsh = Requires.Which("zsh");
        if (zsh is null) Assert.Ignore("needs zsh (Debian package zsh) to run its completion function; build/setup.sh installs it");
        Assert.That(_cli.Run("completion", "zsh"), Is.Zero);
        var script = Path.Combine(_cli.Root, "_tunmux");
        File.WriteAllText(script, _cli.Out);
        Assert.That(RunShell(zsh, ["-n", script]).ExitCode, Is.Zero, "the script parses");

        // The completion system's own helpers stand in as printers: what _tunmux hands them is what zsh offers.
        string[] Zsh(params string[] words)
        {
            var program = "compdef() { :; }; _describe() { print -rl -- \"${(@P)4}\"; }; _files() { print -r -- FILES; }; " +
                          $"source {script}; words=({string.Join(' ', words.Select(w => $"'{w}'"))}); CURRENT=${{#words}}; _tunmux";
            return RunShell(zsh, ["-f", "-c", program]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        Assert.That(Zsh("tunmux", "testgood", "").Select(l => l.Split(':')[0]), Is.SupersetOf(new[] { "whoami", "ports", "connect" }));
        Assert.That(Zsh("tunmux", "testgood", ""), Does.Contain("whoami:print which dependency versions this plugin sees"));
        Assert.That(Zsh("tunmux", "disconnect", "").Select(l => l.Split(':')[0]), Is.EquivalentTo(new[] { "us-1", "castor" }));
        Assert.That(Zsh("tunmux", "proton", "connect", "--backend=k"), Is.EquivalentTo(new[] { "--backend=kernel" }));
    }

    /// <summary>What bash would offer for <paramref name="line"/> (cursor at its end).</summary>
    private string[] Bash(string line, Dictionary<string, string>? extraEnv = null)
    {
        var (words, cword) = BashWords(line);
        const string driver = """
            source "$SCRIPT"
            COMP_LINE=$LINE; COMP_POINT=${#LINE}; COMP_WORDS=("$@"); COMP_CWORD=$CWORD
            _tunmux
            ((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
            exit 0
            """;
        var env = new Dictionary<string, string> { ["SCRIPT"] = _bashScript, ["LINE"] = line, ["CWORD"] = cword.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (k, v) in extraEnv ?? []) env[k] = v;
        var r = RunShell("bash", ["--norc", "--noprofile", "-c", driver, "bash", .. words], env);
        Assert.That(r.ExitCode, Is.Zero, r.Error);
        return r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>COMP_WORDS and COMP_CWORD as bash builds them: split at blanks, '=' a word of its own.</summary>
    private static (List<string> Words, int CWord) BashWords(string line)
    {
        var words = new List<string>();
        var word = "";
        foreach (var c in line)
        {
            if (c is ' ' or '=')
            {
                if (word.Length > 0) words.Add(word);
                if (c == '=') words.Add("=");
                word = "";
            }
            else
            {
                word += c;
            }
        }
        if (word.Length > 0) words.Add(word);
        else if (!line.EndsWith('=')) words.Add("");
        return (words, words.Count - 1);
    }

    private string Engine(params string[] words)
    {
        Assert.That(_cli.Run(["__complete", .. words], parseOnly: false), Is.Zero, _cli.Err);
        return _cli.Out;
    }

    private (int ExitCode, string Output, string Error) RunShell(string shell, IReadOnlyList<string> args, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = _bin.Path + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["TUNMUX_PLUGIN_PATH"] = _cli.PluginsDir;
        psi.Environment["TUNMUX_CONFIG_DIR"] = _cli.ConfigDir;
        psi.Environment["HOME"] = _cli.Root;
        psi.Environment["XDG_DATA_HOME"] = Path.Combine(_cli.Root, "data");
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{shell} did not finish within 60 s");
        }
        return (p.ExitCode, output.Result, error.Result);
    }
}
