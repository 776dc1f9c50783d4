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

    public Task LogoutAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The account; <c>info_error</c> in the plugin's config section makes it fail with that message (a refused session).</summary>
    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) =>
        Context.Config.GetString("info_error") is { } error
            ? throw new ProviderException(error)
            : Task.FromResult(new AccountInfo { Username = "tester", Plan = Context.Config.GetString("greeting") ?? "none" });

    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ServerInfo>>([new ServerInfo { Name = "T#1", Country = query.Country ?? "ZZ", Load = 5 }]);

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
