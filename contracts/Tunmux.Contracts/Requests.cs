namespace Tunmux.Contracts;

/// <summary>Arguments of <c>login</c>.</summary>
public sealed record LoginRequest
{
    /// <summary>The user name given on the command line.</summary>
    public required string Username { get; init; }

    /// <summary>
    /// The password when the host already has it (from <c>--password-stdin</c> or the
    /// <c>TUNMUX_&lt;PROVIDER&gt;_PASSWORD</c> variable); null means the provider prompts for it.
    /// </summary>
    public string? Password { get; init; }

    /// <summary>The parsed flags: an instance of the class named in <see cref="ProviderCommands.Login"/>.</summary>
    public required LoginOptions Options { get; init; }
}

/// <summary>Arguments of <c>info</c>.</summary>
public sealed record InfoRequest
{
    /// <summary>The parsed flags: an instance of the class named in <see cref="ProviderCommands.Info"/>.</summary>
    public required InfoOptions Options { get; init; }
}

/// <summary>Arguments of <c>servers</c>.</summary>
public sealed record ServerQuery
{
    /// <summary>ISO country code filter (case-insensitive), or null.</summary>
    public string? Country { get; init; }

    /// <summary>Bypass any cache and fetch the list again.</summary>
    public bool Refresh { get; init; }

    /// <summary>The order asked with <c>-s/--sort</c>; null means the provider's own order.</summary>
    public ServerSort? Sort { get; init; }

    /// <summary>The parsed flags: an instance of the class named in <see cref="ProviderCommands.Servers"/>.</summary>
    public required ServersOptions Options { get; init; }
}

/// <summary>Arguments of <c>connect</c>.</summary>
public sealed record ConnectRequest
{
    /// <summary>A server named on the command line (<c>US#1</c>), or null to choose by filters.</summary>
    public string? ServerName { get; init; }

    /// <summary>Country filter from <c>--country</c> or the provider's <c>default_country</c>.</summary>
    public string? Country { get; init; }

    /// <summary>True for proxy mode; providers rarely care, but may.</summary>
    public bool ProxyMode { get; init; }

    /// <summary>The order candidates are ranked in (<c>-s/--sort</c>); null means the provider's own.</summary>
    public ServerSort? Sort { get; init; }

    /// <summary>The parsed flags: an instance of the class named in <see cref="ProviderCommands.Connect"/>.</summary>
    public required ConnectOptions Options { get; init; }
}

/// <summary>A call of one of the provider's own verbs.</summary>
public sealed record VerbInvocation
{
    /// <summary>The verb path below the provider (<c>["ports", "add"]</c>), each word as declared (aliases resolved).</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>The parsed options: an instance of the <c>[Verb]</c> class reached (<c>PortsAdd</c>).</summary>
    public required object Options { get; init; }

    /// <summary>True when <c>--json</c> was given (the class derives from <see cref="JsonVerbOptions"/>).</summary>
    public bool Json => Options is JsonVerbOptions { Json: true };
}

/// <summary>Arguments of <see cref="IVpnProvider.RefreshAsync"/>.</summary>
public sealed record RefreshRequest
{
    /// <summary>The instances of this provider that are up, by name (<c>us-1</c>), with their servers.</summary>
    public IReadOnlyList<KeyValuePair<string, ServerIdentity>> Instances { get; init; } = [];

    /// <summary>True when the user asked for a renewal now, whether due or not.</summary>
    public bool Force { get; init; }
}

/// <summary>What <see cref="IVpnProvider.RefreshAsync"/> did.</summary>
/// <param name="RenewAfter">When to call again; null means never (nothing outlives a command).</param>
/// <param name="Summary">One line for the user, or null when nothing was due.</param>
public sealed record RefreshResult(DateTimeOffset? RenewAfter, string? Summary)
{
    /// <summary>Nothing was due and nothing needs renewing later.</summary>
    public static RefreshResult NothingDue { get; } = new(null, null);
}

/// <summary>
/// The daemon moved an exit to another server on its own (failover to one of the
/// <see cref="ConnectPlan.Alternatives"/>), so the provider may update what it keeps per server
/// (AirVPN tells its API which server the device now uses).
/// </summary>
/// <param name="Instance">The instance (<c>us-1</c>).</param>
/// <param name="From">The server it was connected to.</param>
/// <param name="To">The server it is connected to now.</param>
public sealed record ServerChange(string Instance, ServerIdentity From, ServerIdentity To);
