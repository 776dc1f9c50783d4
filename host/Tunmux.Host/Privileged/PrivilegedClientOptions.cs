using Tunmux.Privileged;

namespace Tunmux.Host.Privileged;

/// <summary>How the host reaches the privileged daemon (the <c>privileged_*</c> settings of config.toml).</summary>
public sealed record PrivilegedClientOptions
{
    /// <summary><c>socket</c> (the shared daemon on the control socket) or <c>stdio</c> (a helper for this command only).</summary>
    public string Transport { get; init; } = "socket";

    /// <summary>Start the daemon through sudo when the socket is missing or refuses.</summary>
    public bool Autostart { get; init; } = true;

    public int AutostartTimeoutMs { get; init; } = 5000;

    /// <summary>Group, besides root, the daemon lets in; passed to an autostarted daemon.</summary>
    public string AuthorizedGroup { get; init; } = "tunmux";

    /// <summary><c>never</c>, <c>command</c> (stop when the last command using it ends) or <c>timeout</c>.</summary>
    public string AutostopMode { get; init; } = "never";

    /// <summary>Idle time after which an autostarted daemon stops, in <c>timeout</c> mode.</summary>
    public int AutostopTimeoutMs { get; init; } = 30000;

    public PrivilegedPaths Paths { get; init; } = PrivilegedPaths.FromEnvironment();
}
