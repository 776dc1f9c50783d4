using Tunmux.Contracts;

namespace Tunmux.TestPlugins;

/// <summary>A provider that answers every verb with something checkable.</summary>
public abstract class TestProviderBase : IVpnProvider
{
    protected IProviderContext Context { get; private set; } = null!;

    public abstract string Name { get; }
    public string DisplayName => "Test " + Name;

    public void Initialize(IProviderContext context) => Context = context;

    public virtual ProviderSpec Describe() => new()
    {
        ConnectOptions = [OptionSpec.Switch("fast", "a plugin flag")],
        Verbs =
        [
            new VerbSpec("whoami", "print which dependency versions this plugin sees"),
            new VerbSpec("ports", "nested verbs")
            {
                Subverbs =
                [
                    new VerbSpec("add", "add a port")
                    {
                        Arguments = [new ArgumentSpec("port", "port") { IsInteger = true, Min = 1, Max = 65535 }],
                        Options = [OptionSpec.Value("protocol", "P", "protocol") with { AllowedValues = ["tcp", "udp", "both"] }],
                    },
                ],
            },
        ],
        ConfigKeys = ["greeting"],
    };

    public Task LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        Context.Console.Out.WriteLine($"login {request.Username} password-given={request.Password is not null}");
        return Task.CompletedTask;
    }

    public Task LogoutAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new AccountInfo { Username = "tester", Plan = Context.Config.GetString("greeting") ?? "none" });

    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ServerInfo>>([new ServerInfo { Name = "T#1", Country = query.Country ?? "ZZ", Load = 5 }]);

    public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken) =>
        throw new ProviderException("test plugin does not connect");

    public virtual Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        Context.Console.Out.WriteLine(string.Join(' ', invocation.Path) + " " + string.Join(',', invocation.Options.Positionals)
            + " protocol=" + (invocation.Options.Get("protocol") ?? "-"));
        return Task.FromResult(0);
    }
}
