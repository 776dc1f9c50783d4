using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.Plugins.AirVpn.AirVpnProvider))]

namespace Tunmux.Plugins.AirVpn;

/// <summary>AirVPN.</summary>
public sealed class AirVpnProvider : IVpnProvider
{
    private IProviderContext _context = null!;

    public string Name => "airvpn";
    public string DisplayName => "AirVPN";

    public void Initialize(IProviderContext context) => _context = context;

    public ProviderSpec Describe() => new()
    {
        ConnectOptions = [OptionSpec.Value("key", "DEVICE", "WireGuard key (device) to use")],
        ConfigKeys = ["default_country", "default_device", "api_urls", "web_url", "rsa_key_file"],
    };

    public Task LoginAsync(LoginRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task LogoutAsync(CancellationToken cancellationToken) => throw NotYet();
    public Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken) => throw NotYet();
    public Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken) => throw NotYet();
    public Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken) => throw NotYet();

    private static ProviderException NotYet() => new("airvpn: not implemented yet");
}
