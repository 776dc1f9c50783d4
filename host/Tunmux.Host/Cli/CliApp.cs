using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Logging;
using Tunmux.Host.Plugins;
using Tunmux.Host.Privileged;
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
        var i = 0;
        var verbose = false;
        for (; i < args.Length && args[i].StartsWith('-'); i++)
        {
            switch (args[i])
            {
                case "-v" or "--verbose": verbose = true; break;
                case "-V" or "--version":
                    console.Out.WriteLine($"tunmux {Version} (plugin API {ContractsVersion.Major}.{ContractsVersion.Minor})");
                    return 0;
                case "-h" or "--help":
                    console.Out.Write(HelpWriter.Render(RootSpec(), "tunmux"));
                    return 0;
                default:
                    return Usage(new UsageException($"unknown flag '{args[i]}'", HelpWriter.UsageLine(RootSpec(), "tunmux")));
            }
        }
        LogSetup.Configure(verbose, console.Error);
        var rest = args[i..];
        if (rest.Length == 0)
        {
            console.Error.Write(HelpWriter.Render(RootSpec(), "tunmux"));
            return ExitUsage;
        }

        try
        {
            return await DispatchAsync(rest, cancellationToken);
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

    private async Task<int> DispatchAsync(string[] args, CancellationToken ct)
    {
        var verb = args[0];
        var wantsHelp = args.Skip(1).Any(a => a is "--help" or "-h");
        switch (verb)
        {
            case "help":
                return await RunAsync(args.Length > 1 ? [.. args[1..], "--help"] : ["--help"], ct);
            case "status":
                if (wantsHelp) return Help(HostVerbs.Status, "tunmux status");
                var status = ArgParser.Parse(HostVerbs.Status, args[1..], "tunmux status");
                if (ParseOnly) return Parsed("status");
                return await new StatusCommand(paths, console).RunAsync(null, status.Has("json"), ct);
            case "plugins":
                if (wantsHelp) return Help(HostVerbs.Plugins, "tunmux plugins");
                var plugins = ArgParser.Parse(HostVerbs.Plugins, args[1..], "tunmux plugins");
                if (ParseOnly) return Parsed("plugins");
                return new PluginsCommand(_catalog, console).Run(plugins.Has("json"));
            case "disconnect":
                if (wantsHelp) return Help(HostVerbs.Disconnect, "tunmux disconnect");
                var d = ArgParser.Parse(HostVerbs.Disconnect, args[1..], "tunmux disconnect");
                var only = d.Get("provider");
                if (only is not null && _catalog.Find(only) is null && !HasConnections(only))
                    throw new UsageException($"unknown provider '{only}'", HelpWriter.UsageLine(HostVerbs.Disconnect, "tunmux disconnect"));
                if (ParseOnly) return Parsed("disconnect");
                return await NewDisconnect().RunAsync(d.Positional(0), only, d.Has("all"), "tunmux disconnect", ct);
            case "privileged":
                if (wantsHelp && !args.Contains("--serve")) return Help(HostVerbs.Privileged, "tunmux privileged");
                if (ParseOnly)
                {
                    PrivilegedCommand.Parse(args[1..]);
                    return Parsed("privileged");
                }
                return await PrivilegedCommand.RunAsync(args[1..], ct);
            case "connect":
                if (args.Length < 2 || args[1].StartsWith('-'))
                {
                    if (wantsHelp) return Help(new VerbSpec("connect", "Connect with a provider") { Arguments = [new ArgumentSpec("provider", "provider name")] }, "tunmux connect");
                    throw new UsageException("missing provider: tunmux connect <provider> [flags]", "usage: tunmux connect <provider> [server] [flags]");
                }
                return await RunProviderAsync(args[1], ["connect", .. args[2..]], ct);
            default:
                if (_catalog.Find(verb) is null)
                    throw new UsageException($"unknown command '{verb}'", HelpWriter.UsageLine(RootSpec(), "tunmux"));
                return await RunProviderAsync(verb, args[1..], ct);
        }
    }

    private async Task<int> RunProviderAsync(string name, string[] args, CancellationToken ct)
    {
        var candidate = _catalog.Find(name) ?? throw new UsageException($"unknown provider '{name}'", HelpWriter.UsageLine(RootSpec(), "tunmux"));

        // Connection bookkeeping is the host's alone: these verbs work even when the plugin is broken.
        if (args.Length > 0 && args[0] is "disconnect" or "status" && !args.Contains("--help") && !args.Contains("-h"))
        {
            var generic = HostVerbs.Provider(name, name, new ProviderSpec());
            var spec = generic.Subverbs.First(v => v.Name == args[0]);
            var parsed = ArgParser.Parse(spec, args[1..], $"tunmux {name} {args[0]}");
            if (ParseOnly) return Parsed($"{name} {args[0]}");
            return args[0] == "status"
                ? await new StatusCommand(paths, console).RunAsync(name, parsed.Has("json"), ct)
                : await NewDisconnect().RunAsync(parsed.Positional(0), name, parsed.Has("all"), $"tunmux {name} disconnect", ct);
        }

        if (args.Length > 0 && args[0] == "connect" && !ParseOnly) ProtocolClient.StartWarmUp();
        var config = LoadConfig();
        var plugin = PluginHost.Load(candidate);
        var provider = plugin.Provider;
        provider.Initialize(new ProviderContext(name, config, paths, console, ct));
        var providerSpec = provider.Describe();
        WarnUnknownKeys(config, name, providerSpec);
        var root = HostVerbs.Provider(name, provider.DisplayName, providerSpec);
        var command = new ProviderCommand(provider, root, config, paths, console) { ParseOnly = ParseOnly };
        var code = await command.RunAsync(args, ct);
        if (ParseOnly) LastParsed = command.LastParsed;
        return code;
    }

    private TunmuxConfig LoadConfig()
    {
        var config = ConfigLoader.Load(paths.ConfigFile);
        foreach (var w in config.Warnings) LogSetup.Logger.Warning("{Warning}", w);
        return config;
    }

    private static void WarnUnknownKeys(TunmuxConfig config, string provider, ProviderSpec spec)
    {
        var section = config.Section(provider);
        foreach (var key in section.Keys.Where(k => !spec.ConfigKeys.Contains(k)))
            LogSetup.Logger.Warning("{File}: unknown key {Section}.{Key} is ignored", config.SourceFile, provider, key);
    }

    private DisconnectCommand NewDisconnect() => new(paths, console, () => LoadConfig().General);

    private bool HasConnections(string provider) => new State.ConnectionStore(paths).List().Any(s => s.Provider == provider);

    private VerbSpec RootSpec() => HostVerbs.Root(_catalog.Discover().Select(c => c.Name));

    private int Help(VerbSpec spec, string path)
    {
        console.Out.Write(HelpWriter.Render(spec, path));
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
