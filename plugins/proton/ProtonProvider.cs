using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.Proton.ProtonProvider))]

namespace Tunmux.Plugins.Proton;

/// <summary>Proton VPN.</summary>
public sealed class ProtonProvider : IVpnProvider
{
    private IProviderContext _context = null!;

    public string Name => "proton";
    public string DisplayName => "Proton VPN";

    public void Initialize(IProviderContext context) => _context = context;

    public ProviderSpec Describe() => new()
    {
        ServerOptions = [OptionSpec.Switch("free", "only free-tier servers"), OptionSpec.Switch("p2p", "only P2P servers")],
        ConnectOptions = [OptionSpec.Switch("free", "only free-tier servers"), OptionSpec.Switch("p2p", "only P2P servers")],
        ConfigKeys = ["default_country", "api_url"],
    };

    public Task LoginAsync(LoginRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task LogoutAsync(CancellationToken cancellationToken) => throw NotYet();
    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken) => throw NotYet();
    public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken) => throw NotYet();

    private static ProviderException NotYet() => new("proton: not implemented yet");
}
