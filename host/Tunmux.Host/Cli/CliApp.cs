using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Doctor;
using Tunmux.Host.Logging;
using Tunmux.Host.Manual;
using Tunmux.Host.Output;
using Tunmux.Host.Plugins;
using Tunmux.Host.Privileged;
using Tunmux.Host.Shell;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Cli;

/// <summary>
/// The command line: global flags, then a host verb (status, plugins, connect, disconnect,
/// privileged) or a provider name. Only the provider named on the command line is loaded.
/// </summary>
public sealed class CliApp(TunmuxPaths paths, IConsoleIO console)
{
    public const int ExitUsage = 2;
    public const int ExitFailure = 1;

    public static string Version =>
        typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly PluginCatalog _catalog = new(paths.PluginDirs);

    /// <summary>Parse and resolve the command line, load the named plugin, but run nothing (tests of the grammar).</summary>
    internal bool ParseOnly { get; init; }

    /// <summary>With <see cref="ParseOnly"/>: the resolved command path of the last run.</summary>
    internal string? LastParsed { get; private set; }

    private int Parsed(string path)
    {
        LastParsed = path;
        return 0;
    }

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        // exec: every word after the instance is the program's, '-v' included.
        var execAt = ExecWordAt(args);
        // __complete: the words are a line being typed, to be completed as they stand.
        var completeAt = Array.FindIndex(args, a => a is not ("-v" or "--verbose"));
        var dashDash = completeAt >= 0 && args[completeAt] == "__complete" ? completeAt + 1
            : execAt >= 0 ? Math.Min(args.Length, execAt + 2) : Array.IndexOf(args, "--");
        var verbose = false;
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if ((dashDash < 0 || i < dashDash) && args[i] is "-v" or "--verbose") verbose = true;
            else rest.Add(args[i]);
        }
        if (rest.Count > 0 && rest[0] is "-V" or "--version")
        {
            console.Out.WriteLine($"tunmux {Version} (plugin API {ContractsVersion.Major}.{ContractsVersion.Minor})");
            return 0;
        }
        if (rest.Count > 0 && rest[0] is "-h" or "--help")
        {
            console.Out.Write(RootHelp());
            return 0;
        }
        if (rest.Count > 0 && rest[0].StartsWith('-'))
            return Usage(new UsageException($"unknown flag '{rest[0]}'", RootUsage));
        LogSetup.Configure(verbose, console.Error);
        if (rest.Count == 0)
        {
            console.Error.Write(RootHelp());
            return ExitUsage;
        }

        try
        {
            return await DispatchAsync([.. rest], cancellationToken);
        }
        catch (UsageException e) { return Usage(e); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("error: interrupted");
            return 130;
        }
        catch (Exception e) when (IsUserError(e))
        {
            console.Error.WriteLine("error: " + SecretMask.Mask(OneLine(e.Message)));
            if (LogSetup.Verbose) LogSetup.Logger.Debug(e, "details");
            return e is ProviderException p ? p.ExitCode : ExitFailure;
        }
    }

    private const string RootUsage = "usage: tunmux [flags] <command> ...";

    /// <summary>A host verb or a provider name, then that command's words.</summary>
    private async Task<int> DispatchAsync(string[] args, CancellationToken ct)
    {
        var word = args[0];
        if (word == "help") return await RunAsync(args.Length > 1 ? [.. args[1..], "--help"] : ["--help"], ct);
        if (word == "connect" && args.Length > 1 && !args[1].StartsWith('-'))
        {
            using var early = Preparing(args[1]);
            return await RunProviderAsync(args[1], ["connect", .. args[2..]], ct, early);
        }

        if (word == "exec") return await ExecAsync(args[1..], ct);

        // A word naming an installed plugin is a provider (plugin names are never host words): its preparation starts
        // on the other core now.
        using var preparing = Preparing(word);
        if (preparing is not null) return await RunProviderAsync(word, args[1..], ct, preparing);

        var verb = VerbModel.Find(HostVerbs.All, word) ?? throw new UsageException($"unknown command '{word}'", RootUsage);

        var path = "tunmux " + verb.Name;
        var words = args[1..];
        // The completion scripts pass the words typed so far as they are: never parsed, never help.
        if (verb.Type == typeof(CompleteVerb)) return Complete(words);
        // The daemon's own flags may follow --serve; help is only for a person at a terminal.
        if (ArgWords.WantsHelp(words) && !(verb.Type == typeof(PrivilegedVerb) && words.Contains("--serve")))
            return Help(Cli.Help.Verb(verb, path));
        if (verb.Type == typeof(HostConnectVerb))
            throw new UsageException("missing provider: tunmux connect <provider> [flags]", "usage: tunmux connect <provider> [server] [flags]");

        var options = VerbParser.Parse(verb, words, path);
        switch (options)
        {
            case StatusOptions status:
                if (ParseOnly) return Parsed("status");
                return await NewStatus(status).RunAsync(null, status.Json, ct);
            case PluginsVerb plugins:
                if (ParseOnly) return Parsed("plugins");
                return new PluginsCommand(_catalog, console).Run(plugins.Json);
            case HostDisconnectVerb d:
                if (d.Provider is { } only && _catalog.Find(only) is null && !HasConnections(only))
                    throw new UsageException($"unknown provider '{only}'", Cli.Help.UsageLine(verb, path));
                if (ParseOnly) return Parsed("disconnect");
                return await NewDisconnect().RunAsync(d.Instance, d.Provider, d.All, path, ct);
            case WgVerb wg:
                if (ParseOnly) return Parsed("wg");
                return await new WgCommand(paths, console, () => LoadConfig().General).RunAsync(wg.Instance, ct);
            case LockdownVerb lockdown:
                var state = lockdown.State?.ToLowerInvariant();
                if (lockdown.AllowLan && state != "on")
                    throw new UsageException("--allow-lan goes with 'lockdown on'", Cli.Help.UsageLine(verb, path));
                if (ParseOnly) return Parsed("lockdown");
                return await new LockdownCommand(console, LoadConfig().General).RunAsync(state, lockdown.AllowLan, lockdown.Json, ct);
            case DoctorVerb doctor:
                if (ParseOnly) return Parsed("doctor");
                return await new DoctorCommand(paths, _catalog, console, Machine.Current()).RunAsync(doctor.Json, ct);
            case CompletionVerb completion:
                if (ParseOnly) return Parsed("completion");
                console.Out.Write(CompletionScripts.For(completion.Shell));
                return 0;
            case ManPageVerb:
                if (ParseOnly) return Parsed("manpage");
                console.Out.Write(new ManPage(new CommandTree(_catalog, paths, console), Version, ManPageDate()).Render());
                return 0;
            case PrivilegedVerb privileged:
                var daemon = PrivilegedCommand.ToDaemonOptions(privileged, Cli.Help.UsageLine(verb, path));
                if (ParseOnly) return Parsed("privileged");
                return await PrivilegedCommand.RunAsync(daemon, ct);
            default:
                throw new InvalidOperationException($"no handler for the host verb '{verb.Name}'");
        }
    }

    /// <summary>Where the word <c>exec</c> is when it is the command (after global flags only), else -1.</summary>
    private static int ExecWordAt(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-v" or "--verbose") continue;
            return args[i] == "exec" ? i : -1;
        }
        return -1;
    }

    /// <summary><c>tunmux exec &lt;instance&gt; [--] &lt;command&gt; [args...]</c>: the instance, then the program's words untouched.</summary>
    private async Task<int> ExecAsync(string[] words, CancellationToken ct)
    {
        var verb = VerbModel.Of(typeof(ExecVerb));
        const string path = "tunmux exec";
        var usage = Cli.Help.UsageLine(verb, path);
        if (words.Length > 0 && words[0] is "-h" or "--help") return Help(Cli.Help.Verb(verb, path, ExecVerb.Details));
        if (words.Length == 0) throw new UsageException("exec needs the name of a proxy exit and a program to run", usage);
        if (words[0].StartsWith('-')) throw new UsageException($"unknown flag '{words[0]}' (exec takes the instance first)", usage);
        var command = words[1..];
        if (command.Length > 0 && command[0] == "--") command = command[1..];
        if (command.Length == 0) throw new UsageException("exec needs a program to run", usage);
        if (ParseOnly)
        {
            LastParsed = $"exec {words[0]} [{string.Join(' ', command)}]";
            return 0;
        }
        return await new ExecCommand(paths, () => LoadConfig().General).RunAsync(words[0], command, ct);
    }

    /// <summary>The installed plugin <paramref name="word"/> names, being made ready; null when there is none.</summary>
    private PluginPreparation? Preparing(string word) => _catalog.Find(word) is { } candidate ? PluginHost.PrepareAside(candidate) : null;

    private async Task<int> RunProviderAsync(string name, string[] args, CancellationToken ct, PluginPreparation? preparing)
    {
        if (preparing is null) throw new UsageException($"unknown provider '{name}'", RootUsage);
        var prefix = $"tunmux {name}";

        // Connection bookkeeping is the host's alone: these verbs work even when the plugin is broken.
        if (args.Length > 0 && VerbModel.Find(HostVerbs.Bookkeeping, args[0]) is { } bookkeeping && !ArgWords.WantsHelp(args[1..]))
        {
            preparing.Dispose();
            var path = $"{prefix} {bookkeeping.Name}";
            var parsed = VerbParser.Parse(bookkeeping, args[1..], path);
            if (ParseOnly) return Parsed($"{name} {bookkeeping.Name}");
            return parsed is StatusOptions status
                ? await NewStatus(status).RunAsync(name, status.Json, ct)
                : await NewDisconnect().RunAsync(((DisconnectOptions)parsed).Instance, name, ((DisconnectOptions)parsed).All, path, ct);
        }

        if (args.Length > 0 && args[0] == "connect" && !ParseOnly) ProtocolClient.StartWarmUp();
        // The plugin is made ready on another core (its contracts version checked, then McMaster's load context built from
        // its deps.json, the plugin loaded and its provider created) while this one reads config.toml and readies
        // CommandLineParser, which the command parses with next: independent start-up costs overlap instead of
        // adding up. Nothing of the plugin is loaded before its version passed.
        preparing.Proceed();
        var config = LoadConfig();
        VerbParser.WarmUp(args);
        // What the command waits for, shown from its first step on (nothing is looked at before).
        var steps = StepLine.ForProcess(console);
        try
        {
            // The provider's context needs nothing of the plugin: built before the plugin is waited for.
            var context = new ProviderContext(name, config, paths, console, ct, steps);
            await using var hole = context.Hole;
            var provider = preparing.Result().Provider;
            provider.Initialize(context);
            var commands = ProviderVerbs.Of(provider);
            WarnUnknownKeys(config, name, commands.Declared);
            var command = new ProviderCommand(provider, commands, config, paths, console, steps) { ParseOnly = ParseOnly };
            var code = await command.RunAsync(args, ct);
            if (ParseOnly) LastParsed = command.LastParsed;
            return code;
        }
        finally
        {
            steps.Done();
        }
    }

    private int Complete(string[] words)
    {
        var engine = new CompletionEngine(new CommandTree(_catalog, paths, console), () =>
            new State.ConnectionStore(paths).List()
                .Select(s => new LiveInstance(s.Instance, s.Provider, $"{s.Provider} {s.Server} ({s.Mode})")).ToList());
        console.Out.Write(CompletionEngine.Render(engine.Complete(words)));
        return 0;
    }

    /// <summary>SOURCE_DATE_EPOCH when a build sets it (a reproducible page), else today.</summary>
    private static DateTimeOffset ManPageDate() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out var epoch)
            ? DateTimeOffset.FromUnixTimeSeconds(epoch)
            : DateTimeOffset.UtcNow;

    private TunmuxConfig LoadConfig()
    {
        var config = ConfigLoader.Load(paths.ConfigFile);
        foreach (var w in config.Warnings) LogSetup.Logger.Warning("{Warning}", w);
        return config;
    }

    private static void WarnUnknownKeys(TunmuxConfig config, string provider, ProviderCommands spec)
    {
        var section = config.Section(provider);
        foreach (var key in section.Keys.Where(k => !spec.ConfigKeys.Contains(k) && !ConfigLoader.ProviderSectionKeys.Contains(k)))
            LogSetup.Logger.Warning("{File}: unknown key {Section}.{Key} is ignored", config.SourceFile, provider, key);
    }

    /// <summary>status, with <c>--check</c> asking config.toml's check_url (none by default: it is a third party).</summary>
    private StatusCommand NewStatus(StatusOptions options) => new(paths, console)
    {
        CheckUrl = !options.Check ? null
            : LoadConfig().General.CheckUrl is { } url ? new Uri(url)
            : throw new UsageException("status --check needs a what-is-my-IP URL: set check_url in [general] of config.toml " +
                                       "(none by default, since it contacts a third party), e.g. check_url = \"https://api.ipify.org\"",
                "usage: tunmux status [--json] [--check]"),
    };

    private DisconnectCommand NewDisconnect() => new(paths, console, () => LoadConfig().General);

    private bool HasConnections(string provider) => new State.ConnectionStore(paths).List().Any(s => s.Provider == provider);

    private string RootHelp() =>
        Cli.Help.GroupWithFlags(HostVerbs.Heading, "tunmux", HostVerbs.All, typeof(GlobalFlags),
        [
            "providers: " + string.Join(", ", _catalog.Discover().Select(c => c.Name)) + " (tunmux <provider> --help)",
        ]);

    private int Help(string text)
    {
        console.Out.Write(text);
        return 0;
    }

    private int Usage(UsageException e)
    {
        console.Error.WriteLine("error: " + e.Message);
        if (e.Usage is not null) console.Error.WriteLine(e.Usage);
        return ExitUsage;
    }

    private static bool IsUserError(Exception e) =>
        e is ProviderException or ConfigException or PluginLoadException or PrivilegedException or InvalidOperationException
            or HttpRequestException or IOException or UnauthorizedAccessException or TimeoutException or TaskCanceledException;

    private static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
