namespace Tunmux.Contracts;

/// <summary>
/// A VPN provider. It authenticates, lists servers, manages the account and turns
/// "connect to X" into a plain <see cref="WireGuardProfile"/>. It never runs a command,
/// touches a network namespace or talks to the privileged daemon: the host owns the
/// connection lifecycle (instances, ports, state, status, disconnect).
/// </summary>
public interface IVpnProvider
{
    /// <summary>Command-line name of the provider (<c>proton</c>); lowercase letters, digits and dashes.</summary>
    string Name { get; }

    /// <summary>Human name (<c>Proton VPN</c>).</summary>
    string DisplayName { get; }

    /// <summary>
    /// Called once, right after construction, before any other member.
    /// The context stays valid for the life of the process.
    /// </summary>
    void Initialize(IProviderContext context);

    /// <summary>
    /// The provider's command line: the option classes of its standard verbs (derived ones add flags)
    /// and of its own verbs and groups. Called before parsing; keep it cheap (no I/O).
    /// </summary>
    ProviderCommands Describe();

    /// <summary>Logs in and stores the session through <see cref="IProviderContext.Credentials"/>.</summary>
    Task LoginAsync(LoginRequest request, CancellationToken cancellationToken);

    /// <summary>Revokes the session where the provider allows it and deletes every stored credential.</summary>
    Task LogoutAsync(CancellationToken cancellationToken);

    /// <summary>Account details for <c>info</c>.</summary>
    Task<AccountInfo> GetInfoAsync(InfoRequest request, CancellationToken cancellationToken);

    /// <summary>Servers matching the query for <c>servers</c>, in the order to show them.</summary>
    Task<IReadOnlyList<ServerInfo>> ListServersAsync(ServerQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Chooses a server and returns the WireGuard profile to bring up, with ranked
    /// <see cref="ConnectPlan.Alternatives"/> the daemon may fail over to.
    /// </summary>
    Task<ConnectPlan> PrepareConnectAsync(ConnectRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Runs one of the provider's own verbs (declared in <see cref="ProviderCommands.Verbs"/>):
    /// <see cref="VerbInvocation.Options"/> is the parsed instance of the verb's class.
    /// Returns the process exit code.
    /// </summary>
    Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken);

    /// <summary>
    /// Renews what must outlive a command (Proton's certificate of the tunnel key) when it is due, and
    /// says when to call again. The default renews nothing.
    /// </summary>
    Task<RefreshResult> RefreshAsync(RefreshRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(RefreshResult.NothingDue);

    /// <summary>
    /// Called by the host after the daemon failed an exit over to another server the provider was not
    /// asked about. The default does nothing.
    /// </summary>
    Task OnServerChangedAsync(ServerChange change, CancellationToken cancellationToken) => Task.CompletedTask;
}
