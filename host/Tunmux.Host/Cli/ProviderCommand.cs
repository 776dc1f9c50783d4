using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Latency;
using Tunmux.Host.Logging;
using Tunmux.Host.Output;

namespace Tunmux.Host.Cli;

/// <summary>
/// Runs one command of a loaded provider. The words are dispatched one at a time through the provider's
/// verb classes (groups such as <c>ports</c> lead to their subverbs); the verb reached is parsed by
/// CommandLineParser into its typed options, which go to the standard verbs' methods or to RunVerbAsync.
/// </summary>
internal sealed class ProviderCommand(IVpnProvider provider, ProviderVerbs verbs, TunmuxConfig config, TunmuxPaths paths, IConsoleIO console,
    StepLine? steps = null)
{
    internal bool ParseOnly { get; init; }
    internal string? LastParsed { get; private set; }

    public async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var name = provider.Name;
        var path = new List<string> { "tunmux", name };
        IReadOnlyList<Type> level = verbs.Top;
        var heading = $"{provider.DisplayName} commands";
        var i = 0;
        VerbModel verb;
        while (true)
        {
            var commandPath = string.Join(' ', path);
            if (args.Length > i && args[i] is "-h" or "--help")
            {
                console.Out.Write(Help.Group(heading, commandPath, level));
                return 0;
            }
            // A group's [Verb(isDefault: true)] subverb runs when no command word follows (proton certificates --json).
            var word = i < args.Length && !args[i].StartsWith('-') ? args[i] : null;
            var found = word is null ? (path.Count > 2 ? VerbModel.FindDefault(level) : null) : VerbModel.Find(level, word);
            if (found is null && i >= args.Length)
            {
                console.Error.Write(Help.Group(heading, commandPath, level));
                return CliApp.ExitUsage;
            }
            verb = found ?? throw new UsageException($"unknown command '{args[i]}' for '{commandPath}'", $"usage: {commandPath} <command> [flags]");
            path.Add(verb.Name);
            if (word is not null) i++;
            if (!verb.IsGroup) break;
            level = verb.Subverbs;
            heading = verb.Help;
        }

        var fullPath = string.Join(' ', path);
        var rest = args[i..];
        if (ArgWords.WantsHelp(rest))
        {
            console.Out.Write(Help.Verb(verb, fullPath));
            return 0;
        }
        var options = VerbParser.Parse(verb, rest, fullPath);
        if (ParseOnly)
        {
            LastParsed = string.Join(' ', path.Skip(1));
            return 0;
        }
        // JSON output is for programs: nothing but the JSON, no progress on standard error either.
        var step = steps ?? NoSteps;
        if (steps is not null && options is JsonVerbOptions { Json: true } or ConnectOptions { Json: true }) steps.Quiet = true;

        // What must outlive one command (Proton's certificate) is renewed by any command of the provider when due.
        if (options is not (RefreshVerb or LogoutOptions))
            await RefreshCommand.RenewIfDueAsync(provider, paths, console, ct);
        // A failover the daemon made since the provider's last command is announced first.
        if (options is not LogoutOptions)
            await FailoverAnnouncements.AnnounceAsync(provider, paths, console, ct);

        switch (options)
        {
            case LoginOptions login:
                await provider.LoginAsync(new LoginRequest
                {
                    Username = login.Username,
                    Password = ReadPassword(name, login),
                    Options = login,
                }, ct);
                return 0;
            case LogoutOptions logout:
                return await new LogoutCommand(paths, console, () => config.General).RunAsync(provider, logout.Force, ct);
            case RefreshVerb refresh:
                return await new RefreshCommand(provider, paths, console).RunAsync(refresh.Force, ct);
            case InfoOptions infoOptions:
                var info = await provider.GetInfoAsync(new InfoRequest { Options = infoOptions }, ct);
                Render.Account(console, info, infoOptions.Json);
                return 0;
            case ServersOptions query:
                step.Step($"fetching {provider.DisplayName}'s server list");
                var servers = await provider.ListServersAsync(new ServerQuery
                {
                    Country = query.Country,
                    Refresh = query.Refresh,
                    Sort = query.Sort,
                    Options = query,
                }, ct);
                if (query.Sort == ServerSort.Latency)
                {
                    step.Step($"measuring the round trip to {servers.Count} servers");
                    servers = await ServerLatency.OrderAsync(new LatencyProbe(), servers, ct);
                }
                steps?.Clear();
                Render.Servers(console, servers, query.Json);
                return 0;
            case ConnectOptions connect:
                return await new ConnectCommand(provider, config, paths, console, step).RunAsync(connect, ct);
            default:
                return await provider.RunVerbAsync(new VerbInvocation { Path = path.Skip(2).ToList(), Options = options }, ct);
        }
    }

    private static readonly IStepReporter NoSteps = NoStepReporter.Instance;

    /// <summary>The password from <c>--password-stdin</c> or <c>TUNMUX_&lt;PROVIDER&gt;_PASSWORD</c>; null lets the provider prompt.</summary>
    private string? ReadPassword(string name, LoginOptions options)
    {
        string? password = null;
        if (options.PasswordStdin)
        {
            password = console.ReadStdinLine();
            if (string.IsNullOrEmpty(password))
                throw new ProviderException("--password-stdin given but standard input is empty; pipe the password in, e.g. 'printf %s \"$PW\" | tunmux ... --password-stdin'");
        }
        else if (Environment.GetEnvironmentVariable($"TUNMUX_{name.ToUpperInvariant().Replace('-', '_')}_PASSWORD") is { Length: > 0 } env)
        {
            password = env;
        }
        SecretMask.Register(password);
        return password;
    }
}
