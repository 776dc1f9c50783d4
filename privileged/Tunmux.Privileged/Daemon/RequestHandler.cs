using System.Reflection;
using System.Text.Json;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// Carries out one parsed, validated, authorized request and returns its result object.
/// Every instance has an owner, the uid that brought it up: only that uid or root may take it down,
/// read its details or signal its processes; others see that it exists and which ports it holds.
/// </summary>
public sealed class RequestHandler(ITunnelService tunnels, ManagedProcessKiller killer, DaemonLifecycle lifecycle, DaemonLog log,
    MutationLock? mutations = null)
{
    public static string DaemonVersion { get; } =
        typeof(RequestHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>Ports below this are the system's; only root may have a proxy listen there.</summary>
    public const int FirstUnprivilegedPort = 1024;

    // Bringing tunnels up and down changes shared system state (routes, DNS, ports); one change at a time,
    // across every daemon and stdio helper on the machine.
    private readonly MutationLock _mutations = mutations ?? new MutationLock(null);

    public async Task<object?> HandleAsync(ParsedRequest request, long connectionId, PeerCredentials? peer, CancellationToken ct)
    {
        var caller = peer?.Uid ?? 0;
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
                if (caller != 0 && args.Proxy is { } p && Math.Min(p.SocksPort, p.HttpPort) < FirstUnprivilegedPort)
                    throw new PrivilegedException(ErrorCodes.Unauthorized,
                        $"proxy ports below {FirstUnprivilegedPort} are reserved for root; choose ports from {FirstUnprivilegedPort} up");
                return await _mutations.RunAsync(() => tunnels.UpAsync(args, peer?.Caller ?? CallerIdentity.Root, ct), ct).ConfigureAwait(false);
            }

            case Ops.TunnelDown:
            {
                var instance = ((InstanceArgs)request.Args!).Instance;
                log.Info($"tunnel.down by {Who(peer)}: instance {instance}");
                return await _mutations.RunAsync(async () =>
                {
                    // Checked under the lock, so the instance cannot change hands between the check and the down.
                    if (Recorded(instance) is { } info) RequireOwner(info, caller, "take down");
                    else if (caller != 0) return new TunnelDownResult { Instance = instance, WasUp = false };
                    var wasUp = await tunnels.DownAsync(instance, ct).ConfigureAwait(false);
                    return new TunnelDownResult { Instance = instance, WasUp = wasUp };
                }, ct).ConfigureAwait(false);
            }

            case Ops.TunnelList:
            {
                var check = request.Args is not TunnelListArgs { Check: false };
                var list = new List<TunnelInfo>();
                foreach (var info in tunnels.ListRecorded())
                {
                    if (!MayManage(info, caller)) list.Add(info.Redacted());
                    // Only one's own instances are checked: others' cost nothing and reveal nothing.
                    else if (check) list.Add(await tunnels.InspectAsync(info.Instance, ct).ConfigureAwait(false) ?? info);
                    else list.Add(info);
                }
                return new TunnelListResult { Tunnels = list };
            }

            case Ops.TunnelInspect:
            {
                var instance = ((InstanceArgs)request.Args!).Instance;
                if (Recorded(instance) is not { } info) return null;
                return MayManage(info, caller) ? await tunnels.InspectAsync(instance, ct).ConfigureAwait(false) : info.Redacted();
            }

            case Ops.TunnelWg:
            {
                var instance = ((InstanceArgs)request.Args!).Instance;
                var info = Recorded(instance) ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no instance {instance}; see tunmux status");
                RequireOwner(info, caller, "inspect");
                return await tunnels.WgShowAsync(instance, ct).ConfigureAwait(false)
                       ?? throw new PrivilegedException(ErrorCodes.NotFound, $"no instance {instance}; see tunmux status");
            }

            case Ops.KillPid:
            {
                var pid = ((KillPidArgs)request.Args!).Pid;
                log.Info($"pid.kill by {Who(peer)}: pid {pid}");
                // A process of an instance is its owner's to signal; any other managed process is root's alone.
                var of = tunnels.ListRecorded().FirstOrDefault(i => i.ProxyPid == pid || i.UserspacePid == pid);
                if (of is not null) RequireOwner(of, caller, "signal a process of");
                else if (caller != 0)
                    throw new PrivilegedException(ErrorCodes.Unauthorized, $"process {pid} belongs to no instance of yours; refusing to signal it");
                await killer.KillAsync(pid, ct).ConfigureAwait(false);
                return null;
            }

            case Ops.FirewallStatus:
                return await tunnels.FirewallStatusAsync(ct).ConfigureAwait(false);

            case Ops.LockdownSet:
            {
                var args = (LockdownArgs)request.Args!;
                log.Info($"lockdown.set by {Who(peer)}: {(args.Enabled ? "on" : "off")}{(args.AllowLan ? " (LAN allowed)" : "")}");
                return await _mutations.RunAsync(() => tunnels.SetLockdownAsync(args, peer?.Uid, ct), ct).ConfigureAwait(false);
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

            case Ops.FirewallRootlessExit:
            {
                var args = (RootlessExitArgs)request.Args!;
                // Always the caller's own uid (its socket's peer credentials): a user can open this for its own pasta only.
                var uid = peer?.Uid ?? 0;
                log.Info($"firewall.rootless_exit by {Who(peer)}: {args.Instance} {(args.Endpoint is { } e ? "to " + e : "gone")}");
                await tunnels.RootlessExitAsync(uid, args.Instance, args.Endpoint, ct).ConfigureAwait(false);
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

    private TunnelInfo? Recorded(string instance) => tunnels.ListRecorded().FirstOrDefault(i => i.Instance == instance);

    /// <summary>Root, or the uid recorded as the instance's owner (records without an owner are root's).</summary>
    public static bool MayManage(TunnelInfo info, uint caller) => caller == 0 || info.OwnerUid == caller;

    private static void RequireOwner(TunnelInfo info, uint caller, string what)
    {
        if (!MayManage(info, caller))
            throw new PrivilegedException(ErrorCodes.Unauthorized,
                $"instance {info.Instance} belongs to another user; only they or root may {what} it");
    }

    private static string Who(PeerCredentials? peer) => peer is null ? "stdio client" : $"uid {peer.Uid} (pid {peer.Pid})";

    /// <summary>Serializes a result for <see cref="Response.Result"/>.</summary>
    public static JsonElement? ToElement(object? result) =>
        result is null ? null : JsonSerializer.SerializeToElement(result, result.GetType(), ProtocolJson.Options);
}
