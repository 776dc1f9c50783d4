using Tunmux.Privileged.Proxy;

namespace Tunmux.Privileged.Tunnels.Rootless;

/// <summary>
/// Starts the same native proxy as the daemon's exits, into a rootless exit: its listeners were made on
/// the host's loopback by the launcher before this, then <c>nsenter</c> joins the holder's namespaces and
/// <c>setpriv</c> drops every capability the user has inside (so the proxy cannot change the exit's
/// routes); it runs as the user, the only identity a user namespace of an unprivileged user can map.
/// </summary>
internal sealed class RootlessProxyEntry(RootlessTools tools, Func<int?> holder) : IProxyEntry
{
    public void Check(ProxyLaunchSpec spec)
    {
        if (holder() is null)
            throw new InvalidOperationException($"cannot start the proxy for {spec.Instance}: the exit's namespaces are gone");
    }

    public (string File, IReadOnlyList<string> Argv) Command(ProxyLaunchSpec spec, string program, IReadOnlyList<string> programArgs)
    {
        var pid = holder() ?? throw new InvalidOperationException($"cannot start the proxy for {spec.Instance}: the exit's namespaces are gone");
        return (tools.Nsenter,
        [
            tools.Nsenter, .. NamespaceRunner.EnterArgs(pid),
            tools.Setpriv, "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            program, .. programArgs,
        ]);
    }
}
