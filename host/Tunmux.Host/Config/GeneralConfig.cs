namespace Tunmux.Host.Config;

/// <summary>The <c>[general]</c> section, with the defaults that apply when a key is absent.</summary>
public sealed record GeneralConfig
{
    public static string[] Backends { get; } = [.. Tunmux.Contracts.ConnectOptions.Backends];
    public static readonly string[] CredentialStores = ["file", "keyring"];
    public static readonly string[] Transports = ["socket", "stdio"];
    public static readonly string[] AutostopModes = ["never", "command", "timeout"];
    public static readonly string[] RootlessModes = ["auto", "always", "never"];
    public static readonly string[] RootlessLinks = ["auto", "pasta", "slirp4netns"];

    public string Backend { get; init; } = "auto";
    public string CredentialStore { get; init; } = "file";
    public bool ProxyAccessLog { get; init; }

    /// <summary>Proxy exits open to every local user, as with <c>--proxy-share</c> (a provider section's <c>proxy_share</c> wins).</summary>
    public bool ProxyShare { get; init; }
    public string PrivilegedTransport { get; init; } = "socket";
    public bool PrivilegedAutostart { get; init; } = true;
    public int PrivilegedAutostartTimeoutMs { get; init; } = 5000;
    public string PrivilegedAuthorizedGroup { get; init; } = "tunmux";
    public string PrivilegedAutostopMode { get; init; } = "never";
    public int PrivilegedAutostopTimeoutMs { get; init; } = 30000;

    /// <summary>Userspace WireGuard implementation for the userspace backend (<c>wireguard-go</c>, <c>boringtun</c>); null picks what is installed.</summary>
    public string? UserspaceImplementation { get; init; }

    /// <summary>Direct connects behave as with <c>--kill-switch</c>: nothing leaves outside the tunnel until disconnect.</summary>
    public bool KillSwitch { get; init; }

    /// <summary>
    /// Proxy exits without root: <c>always</c>, <c>never</c>, or <c>auto</c> (rootless when no daemon answers and
    /// sudo cannot start one without a password).
    /// </summary>
    public string Rootless { get; init; } = "auto";

    /// <summary>A rootless exit's way out: <c>auto</c> (pasta when installed, else slirp4netns), <c>pasta</c> or <c>slirp4netns</c>.</summary>
    public string RootlessLink { get; init; } = "auto";

    /// <summary>Seconds to wait for the first WireGuard handshake before giving up on a connect.</summary>
    public int HandshakeTimeoutMs { get; init; } = 8000;

    /// <summary>Switch an exit to the provider's next ranked server when its server dies (<c>--no-failover</c> turns it off per connect).</summary>
    public bool Failover { get; init; } = true;

    /// <summary>The supervisor's timers; null keeps the daemon's defaults (see docs/supervision.md).</summary>
    public int? HealthCheckIntervalMs { get; init; }
    public int? HealthIdleCheckIntervalMs { get; init; }
    public int? HealthTrafficTimeoutMs { get; init; }
    public int? HealthIdleProbeMs { get; init; }
    public int? HealthRehandshakeTimeoutMs { get; init; }
    public int? HealthRetryMs { get; init; }
    public int? PortForwardRenewMs { get; init; }

    /// <summary>Shell commands run as the connecting user once an exit is up (and after each failover) and before it goes down.</summary>
    public string? Ifup { get; init; }
    public string? Ifdown { get; init; }
    public int? HookTimeoutMs { get; init; }

    /// <summary>A what-is-my-IP URL for <c>status --check</c>; none by default, since it contacts a third party.</summary>
    public string? CheckUrl { get; init; }
}
