using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Daemon;

/// <summary>Stands in for the tunnel backends until they are wired in: nothing is up, and nothing can be brought up.</summary>
public sealed class NotImplementedTunnelService : ITunnelService
{
    private static PrivilegedException NotImplemented() =>
        new(ErrorCodes.NotImplemented, "tunnel operations are not implemented in this build of the privileged daemon");

    public Task<TunnelInfo> UpAsync(TunnelUpArgs args, CancellationToken cancellationToken) => throw NotImplemented();

    public Task<bool> DownAsync(string instance, CancellationToken cancellationToken) => throw NotImplemented();

    public Task<IReadOnlyList<TunnelInfo>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<TunnelInfo>>([]);

    public Task<TunnelInfo?> InspectAsync(string instance, CancellationToken cancellationToken) => throw NotImplemented();
}
