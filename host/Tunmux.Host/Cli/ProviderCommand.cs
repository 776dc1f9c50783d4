using Tunmux.Contracts;
using Tunmux.Host.Config;
using Tunmux.Host.Connections;
using Tunmux.Host.Logging;
using Tunmux.Host.Output;

namespace Tunmux.Host.Cli;

/// <summary>Runs one verb of a loaded provider: the standard ones through the contracts, its own through RunVerbAsync.</summary>
internal sealed class ProviderCommand(IVpnProvider provider, VerbSpec root, TunmuxConfig config, TunmuxPaths paths, IConsoleIO console)
{
    internal bool ParseOnly { get; init; }
    internal string? LastParsed { get; private set; }

    public async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var name = provider.Name;
        var (verb, path, rest) = Resolve(args);
        if (rest.Contains("--help") || rest.Contains("-h") || verb.Subverbs.Count > 0)
        {
            if (verb.Subverbs.Count > 0 && rest.Length > 0 && rest[0] is not ("--help" or "-h"))
                throw new UsageException($"unknown command '{rest[0]}' for '{string.Join(' ', path)}'", HelpWriter.UsageLine(verb, string.Join(' ', path)));
            if (verb.Subverbs.Count > 0 && !rest.Contains("--help") && !rest.Contains("-h"))
            {
                console.Error.Write(HelpWriter.Render(verb, string.Join(' ', path)));
                return CliApp.ExitUsage;
            }
            console.Out.Write(HelpWriter.Render(verb, string.Join(' ', path)));
            return 0;
        }

        var commandPath = string.Join(' ', path);
        var options = ArgParser.Parse(verb, rest, commandPath);
        var verbPath = path.Skip(2).ToList();
        if (ParseOnly)
        {
            LastParsed = string.Join(' ', path.Skip(1));
            return 0;
        }
        switch (verbPath)
        {
            case ["login"]:
                await provider.LoginAsync(new LoginRequest
                {
                    Username = options.Positional(0)!,
                    Password = ReadPassword(name, options),
                    Options = options,
                }, ct);
                return 0;
            case ["logout"]:
                await provider.LogoutAsync(ct);
                return 0;
            case ["info"]:
                var info = await provider.GetInfoAsync(new InfoRequest { Options = options }, ct);
                Render.Account(console, info, options.Has("json"));
                return 0;
            case ["servers"]:
                var servers = await provider.ListServersAsync(new ServerQuery
                {
                    Country = options.Get("country"),
                    Refresh = options.Has("refresh"),
                    Options = options,
                }, ct);
                Render.Servers(console, servers, options.Has("json"));
                return 0;
            case ["connect"]:
                return await new ConnectCommand(provider, config, paths, console).RunAsync(options, ct);
            default:
                return await provider.RunVerbAsync(new VerbInvocation
                {
                    Path = verbPath,
                    Options = options,
                    Json = options.Has("json"),
                }, ct);
        }
    }

    /// <summary>Walks nested verbs: <c>ports add 8080</c> → the <c>add</c> spec and <c>["8080"]</c>.</summary>
    private (VerbSpec Verb, List<string> Path, string[] Remaining) Resolve(string[] args)
    {
        var verb = root;
        var path = new List<string> { "tunmux", root.Name };
        var i = 0;
        while (i < args.Length && verb.Subverbs.Count > 0)
        {
            var next = verb.Subverbs.FirstOrDefault(v => v.Name == args[i]);
            if (next is null)
            {
                if (args[i].StartsWith('-')) break;
                throw new UsageException($"unknown command '{args[i]}' for '{string.Join(' ', path)}'", HelpWriter.UsageLine(verb, string.Join(' ', path)));
            }
            verb = next;
            path.Add(next.Name);
            i++;
        }
        return (verb, path, args[i..]);
    }

    /// <summary>The password from <c>--password-stdin</c> or <c>TUNMUX_&lt;PROVIDER&gt;_PASSWORD</c>; null lets the provider prompt.</summary>
    private string? ReadPassword(string name, ParsedOptions options)
    {
        string? password = null;
        if (options.Has("password-stdin"))
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
