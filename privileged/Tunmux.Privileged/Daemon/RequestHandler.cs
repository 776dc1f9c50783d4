using System.Reflection;
using System.Text.Json;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Daemon;

/// <summary>Carries out one parsed, validated, authorized request and returns its result object.</summary>
public sealed class RequestHandler(ITunnelService tunnels, ManagedProcessKiller killer, DaemonLifecycle lifecycle, DaemonLog log)
{
    public static string DaemonVersion { get; } =
        typeof(RequestHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    // Bringing tunnels up and down changes shared system state (routes, DNS, ports); one change at a time.
    private readonly SemaphoreSlim _mutations = new(1, 1);

    public async Task<object?> HandleAsync(ParsedRequest request, long connectionId, PeerCredentials? peer, CancellationToken ct)
    {
        switch (request.Op)
        {
            case Ops.Ping:
            case Ops.Version:
                return new VersionResult { Version = DaemonVersion };

            case Ops.TunnelUp:
            {
                var args = (TunnelUpArgs)request.Args!;
                log.Info($"tunnel.up by {Who(peer)}: instance {args.Instance} provider {args.Provider} mode {args.Mode} backend {args.Backend} "
                         + $"{args.Profile} {args.Proxy} alternatives {args.Alternatives.Count} {args.Hooks}");
                return await Mutating(() => tunnels.UpAsync(args, peer?.Caller ?? CallerIdentity.Root, ct), ct).ConfigureAwait(false);
            }

            case Ops.TunnelDown:
            {
                var instance = ((InstanceArgs)request.Args!).Instance;
                log.Info($"tunnel.down by {Who(peer)}: instance {instance}");
                var wasUp = await Mutating(() => tunnels.DownAsync(instance, ct), ct).ConfigureAwait(false);
                return new TunnelDownResult { Instance = instance, WasUp = wasUp };
            }

            case Ops.TunnelList:
                return new TunnelListResult
                {
                    Tunnels = request.Args is TunnelListArgs { Check: false }
                        ? tunnels.ListRecorded()
                        : await tunnels.ListAsync(ct).ConfigureAwait(false),
                };

            case Ops.TunnelInspect:
                return await tunnels.InspectAsync(((InstanceArgs)request.Args!).Instance, ct).ConfigureAwait(false);

            case Ops.TunnelWg:
            {
                var instance = ((InstanceArgs)request.Args!).Instance;
                return await tunnels.WgShowAsync(instance, ct).ConfigureAwait(false)
                       ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no instance {instance}; see tunmux status");
            }

            case Ops.KillPid:
            {
                var pid = ((KillPidArgs)request.Args!).Pid;
                log.Info($"pid.kill by {Who(peer)}: pid {pid}");
                await killer.KillAsync(pid, ct).ConfigureAwait(false);
                return null;
            }

            case Ops.FirewallStatus:
                return await tunnels.FirewallStatusAsync(ct).ConfigureAwait(false);

            case Ops.LockdownSet:
            {
                var args = (LockdownArgs)request.Args!;
                log.Info($"lockdown.set by {Who(peer)}: {(args.Enabled ? "on" : "off")}{(args.AllowLan ? " (LAN allowed)" : "")}");
                return await Mutating(() => tunnels.SetLockdownAsync(args, peer?.Uid, ct), ct).ConfigureAwait(false);
            }

            case Ops.FirewallAllowApi:
            {
                var args = (AllowApiArgs)request.Args!;
                // The hole is the caller's own: its uid (root for an stdio client started without sudo), its connection's lifetime.
                var uid = peer?.Uid ?? 0;
                log.Info($"firewall.allow_api by {Who(peer)}: {string.Join(", ", args.Endpoints)}");
                await tunnels.AllowApiAsync(connectionId, uid, args.Endpoints, ct).ConfigureAwait(false);
                return null;
            }

            case Ops.LeaseAcquire:
                return new LeaseResult { LeaseId = lifecycle.AcquireLease(connectionId, ((LeaseArgs)request.Args!).LeaseId) };

            case Ops.LeaseRelease:
                lifecycle.ReleaseLease(((LeaseArgs)request.Args!).LeaseId!);
                return null;

            case Ops.ShutdownIfIdle:
            {
                var result = lifecycle.ShutdownIfIdle();
                log.Info($"shutdown_if_idle by {Who(peer)}: {(result.ShuttingDown ? "stopping" : "staying")} ({result.Reason})");
                return result;
            }

            default:
                // The parser admits only known operations; this is a programming error, reported as such.
                throw new PrivilegedException(ErrorCodes.UnknownOperation, $"operation {request.Op} has no handler");
        }
    }

    /// <summary>A client connection closed: whatever it opened for itself in the firewall closes too.</summary>
    public Task ConnectionClosedAsync(long connectionId) => tunnels.ReleaseApiAsync(connectionId);

    private async Task<T> Mutating<T>(Func<Task<T>> action, CancellationToken ct)
    {
        await _mutations.WaitAsync(ct).ConfigureAwait(false);
        try { return await action().ConfigureAwait(false); }
        finally { _mutations.Release(); }
    }

    private static string Who(PeerCredentials? peer) => peer is null ? "stdio client" : $"uid {peer.Uid} (pid {peer.Pid})";

    /// <summary>Serializes a result for <see cref="Response.Result"/>.</summary>
    public static JsonElement? ToElement(object? result) =>
        result is null ? null : JsonSerializer.SerializeToElement(result, result.GetType(), ProtocolJson.Options);
}
