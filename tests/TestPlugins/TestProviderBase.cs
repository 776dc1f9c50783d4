using System.ComponentModel.DataAnnotations;
using CommandLine;
using Tunmux.Contracts;

namespace Tunmux.TestPlugins;

/// <summary>A provider that answers every verb with something checkable.</summary>
public abstract class TestProviderBase : IVpnProvider
{
    protected IProviderContext Context { get; private set; } = null!;

    public abstract string Name { get; }
    public string DisplayName => "Test " + Name;

    public void Initialize(IProviderContext context) => Context = context;

    public virtual ProviderCommands Describe() => new()
    {
        Connect = typeof(TestConnectOptions),
        Verbs = [typeof(WhoAmI), typeof(PortsGroup)],
        ConfigKeys = ["greeting", "info_error"],
    };

    public Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        Context.Console.Out.WriteLine($"login {request.Username} password-given={request.Password is not null}");
        return Task.CompletedTask;
    }

    public Task LogoutAsync(CancellationToken cancellationToken)
    {
        Context.Console.Out.WriteLine("logged out");
        return Task.CompletedTask;
    }

    /// <summary>Renews (says so and is due again in a week) when forced or when exits depend on it; nothing otherwise.</summary>
    public Task<RefreshResult> RefreshAsync(RefreshRequest request, CancellationToken cancellationToken)
    {
        Context.Console.Out.WriteLine($"refresh force={request.Force} instances={string.Join(',', request.Instances.Select(i => i.Key))}");
        return Task.FromResult(request.Force || request.Instances.Count > 0
            ? new RefreshResult(DateTimeOffset.UtcNow.AddDays(7), "renewed the test credential")
            : RefreshResult.NothingDue);
    }

    /// <summary>The account; <c>info_error</c> in the plugin's config section makes it fail with that message (a refused session).</summary>
    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) =>
        Context.Config.GetString("info_error") is { } error
            ? throw new ProviderException(error)
            : Task.FromResult(new AccountInfo { Username = "tester", Plan = Context.Config.GetString("greeting") ?? "none" });

    /// <summary>T#1, and with --sort latency also T#2 and T#3 whose entries are on loopback (the host measures them).</summary>
    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ServerInfo>>(query.Sort != ServerSort.Latency
            ? [new ServerInfo { Name = "T#1", Country = query.Country ?? "ZZ", Load = 5 }]
            :
            [
                new ServerInfo { Name = "T#1", Country = "ZZ", Load = 5 },
                new ServerInfo { Name = "T#2", Country = "ZZ", Load = 5, EntryHost = "127.0.0.1", EntryPort = 51820 },
                new ServerInfo { Name = "T#3", Country = "ZZ", Load = 5, Latency = TimeSpan.FromMilliseconds(900) },
            ]);

    public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken) =>
        throw new ProviderException("test plugin does not connect");

    public virtual Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        var add = (PortsAdd)invocation.Options;
        Context.Console.Out.WriteLine(string.Join(' ', invocation.Path) + " " + add.Port + " protocol=" + (add.Protocol ?? "-"));
        return Task.FromResult(0);
    }
}

public sealed class TestConnectOptions : ConnectOptions
{
    [Option("fast", HelpText = "a plugin flag")]
    public bool Fast { get; set; }
}

[Verb("whoami", HelpText = "print which dependency versions this plugin sees")]
public sealed class WhoAmI;

[Verb("ports", HelpText = "nested verbs")]
[Subverbs(typeof(PortsAdd))]
public sealed class PortsGroup;

[Verb("add", HelpText = "add a port")]
public sealed class PortsAdd
{
    [Value(0, MetaName = "port", Required = true, HelpText = "port")]
    [Range(1, 65535)]
    public int Port { get; set; }

    [Option("protocol", MetaValue = "P", HelpText = "protocol")]
    [AllowedValues("tcp", "udp", "both")]
    public string? Protocol { get; set; }
}
