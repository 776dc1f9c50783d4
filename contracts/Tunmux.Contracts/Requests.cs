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

    /// <summary>The provider's own login flags.</summary>
    public required ParsedOptions Options { get; init; }
}

/// <summary>Arguments of <c>info</c>.</summary>
public sealed record InfoRequest
{
    /// <summary>The provider's own flags.</summary>
    public required ParsedOptions Options { get; init; }
}

/// <summary>Arguments of <c>servers</c>.</summary>
public sealed record ServerQuery
{
    /// <summary>ISO country code filter (case-insensitive), or null.</summary>
    public string? Country { get; init; }

    /// <summary>Bypass any cache and fetch the list again.</summary>
    public bool Refresh { get; init; }

    /// <summary>The provider's own filter flags.</summary>
    public required ParsedOptions Options { get; init; }
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

    /// <summary>The provider's own connect flags.</summary>
    public required ParsedOptions Options { get; init; }
}

/// <summary>A call of one of the provider's own verbs.</summary>
public sealed record VerbInvocation
{
    /// <summary>The verb path below the provider (<c>["ports", "add"]</c>).</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>Flags and positional arguments, parsed against the verb's <see cref="VerbSpec"/>.</summary>
    public required ParsedOptions Options { get; init; }

    /// <summary>True when <c>--json</c> was given.</summary>
    public bool Json { get; init; }
}
