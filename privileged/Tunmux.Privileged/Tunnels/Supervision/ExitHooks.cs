using System.Globalization;

namespace Tunmux.Privileged.Tunnels.Supervision;

/// <summary>
/// An exit's hooks: <c>ifup</c> once it is up and after each failover (<c>TUNMUX_EVENT=up</c> or <c>failover</c>),
/// <c>ifdown</c> before it is taken down (<c>TUNMUX_EVENT=down</c>, while its ports still work), each as the user
/// who connected it, with the variables of <see cref="Variables"/>. A hook that fails is reported and logged;
/// it never undoes what happened.
/// </summary>
internal sealed class ExitHooks(PrivilegedPaths paths)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly HookRunner _runner = new();

    /// <summary>Runs the hook for <paramref name="hookEvent"/> if the exit has one; null when it has none.</summary>
    public async Task<HookOutcome?> RunAsync(TunnelRecord record, ExitPlan plan, string hookEvent, string? previousServer, CancellationToken ct)
    {
        var (hook, command) = hookEvent == HookEvents.Down ? ("ifdown", plan.Hooks?.Ifdown) : ("ifup", plan.Hooks?.Ifup);
        if (command is null) return null;
        var timeout = plan.Hooks?.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultTimeout;
        return await _runner.RunAsync(
            new HookInvocation(hook, hookEvent, command, plan.Caller, Variables(record, hookEvent, previousServer), timeout),
            new ExitLog(paths.ExitLogFile(record.Instance)), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What a hook learns of its exit. <c>ALL_PROXY</c>/<c>HTTP_PROXY</c>/<c>HTTPS_PROXY</c> (and their lowercase
    /// forms) point at the exit's proxies without credentials: a proxy password never reaches a hook.
    /// </summary>
    public static Dictionary<string, string> Variables(TunnelRecord r, string hookEvent, string? previousServer)
    {
        static string N(int v) => v.ToString(CultureInfo.InvariantCulture);
        var v = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TUNMUX_EVENT"] = hookEvent,
            ["TUNMUX_INSTANCE"] = r.Instance,
            ["TUNMUX_PROVIDER"] = r.Provider,
            ["TUNMUX_SERVER"] = r.Server?.Name ?? r.Instance,
            ["TUNMUX_MODE"] = r.Mode,
            ["TUNMUX_INTERFACE"] = r.Interface,
            ["TUNMUX_ENDPOINT"] = r.Endpoint,
            ["TUNMUX_FAILOVERS"] = N(r.Failovers),
        };
        if (r.Server?.Country is { } country) v["TUNMUX_COUNTRY"] = country;
        if (r.Namespace is { } ns) v["TUNMUX_NAMESPACE"] = ns;
        if (r.SocksPort is { } socks)
        {
            v["TUNMUX_SOCKS_PORT"] = N(socks);
            v["ALL_PROXY"] = v["all_proxy"] = $"socks5h://127.0.0.1:{N(socks)}";
        }
        if (r.HttpPort is { } http)
        {
            v["TUNMUX_HTTP_PORT"] = N(http);
            v["HTTP_PROXY"] = v["http_proxy"] = v["HTTPS_PROXY"] = v["https_proxy"] = $"http://127.0.0.1:{N(http)}";
        }
        if (r.ForwardedPort is { } forwarded) v["TUNMUX_FORWARDED_PORT"] = N(forwarded);
        if (previousServer is not null) v["TUNMUX_PREVIOUS_SERVER"] = previousServer;
        return v;
    }
}
