namespace Tunmux.Contracts;

/// <summary>Account details shown by <c>info</c>.</summary>
public sealed record AccountInfo
{
    /// <summary>The account's user name.</summary>
    public required string Username { get; init; }

    /// <summary>Plan or tier name, when known.</summary>
    public string? Plan { get; init; }

    /// <summary>When the subscription ends, when known.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Further labelled values in display order (<c>Max connections</c> = <c>10</c>). Never secrets.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];
}

/// <summary>One server row of <c>servers</c>.</summary>
public sealed record ServerInfo
{
    /// <summary>The server name a user passes to <c>connect</c>.</summary>
    public required string Name { get; init; }

    /// <summary>ISO country code.</summary>
    public string? Country { get; init; }

    /// <summary>City.</summary>
    public string? City { get; init; }

    /// <summary>Load in percent, when known.</summary>
    public int? Load { get; init; }

    /// <summary>Provider score (lower is better for Proton), when known.</summary>
    public double? Score { get; init; }

    /// <summary>False when the server is in maintenance.</summary>
    public bool Online { get; init; } = true;

    /// <summary>False when the account may not use the server (tier too low).</summary>
    public bool Available { get; init; } = true;

    /// <summary>Feature tags (<c>p2p</c>, <c>tor</c>, <c>secure-core</c>, <c>streaming</c>, <c>free</c>).</summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>
    /// The host (address or name) a client's WireGuard packets go to, for latency probes; null when unknown.
    /// </summary>
    public string? EntryHost { get; init; }

    /// <summary>The server's WireGuard UDP port at <see cref="EntryHost"/>, when known.</summary>
    public int? EntryPort { get; init; }

    /// <summary>Measured round trip to the entry (filled by the provider from <see cref="IProviderContext.Latency"/>), when measured.</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>Further provider-specific columns in display order (<c>Users</c>, <c>Bandwidth</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra { get; init; } = [];
}

/// <summary>
/// An error a user can fix. The host prints <see cref="Exception.Message"/> as one line
/// (what failed, why, what to do) and exits non-zero, without a stack trace.
/// </summary>
public class ProviderException : Exception
{
    /// <summary>Creates the error.</summary>
    public ProviderException(string message) : base(message) { }

    /// <summary>Creates the error with its cause (shown only with <c>-v</c>).</summary>
    public ProviderException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Exit code; 1 unless set.</summary>
    public int ExitCode { get; init; } = 1;
}
