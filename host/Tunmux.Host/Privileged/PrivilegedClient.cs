using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

// Placeholder surface of the daemon client; the real transports replace this file.
public sealed record PrivilegedClientOptions
{
    public string Transport { get; init; } = "socket";
    public bool Autostart { get; init; } = true;
    public int AutostartTimeoutMs { get; init; } = 5000;
    public string AuthorizedGroup { get; init; } = "tunmux";
    public string AutostopMode { get; init; } = "never";
    public int AutostopTimeoutMs { get; init; } = 30000;
    public PrivilegedPaths Paths { get; init; } = PrivilegedPaths.FromEnvironment();
}

public interface IPrivilegedClient : IAsyncDisposable
{
    Task<VersionResult> PingAsync(CancellationToken ct);
    Task<TunnelInfo> TunnelUpAsync(TunnelUpArgs args, CancellationToken ct);
    Task<TunnelDownResult> TunnelDownAsync(string instance, CancellationToken ct);
    Task<IReadOnlyList<TunnelInfo>> TunnelListAsync(CancellationToken ct);
    Task<TunnelInfo?> TunnelInspectAsync(string instance, CancellationToken ct);
    Task KillPidAsync(int pid, CancellationToken ct);
}

public static class PrivilegedClient
{
    public static Task<IPrivilegedClient> ConnectAsync(PrivilegedClientOptions options, CancellationToken ct) =>
        throw new PrivilegedException(ErrorCodes.NotImplemented, "privileged daemon client not implemented yet");
}
