using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Tunnels;

/// <summary>
/// Which backend brings an instance up, and why. The reason is shown by <c>status</c>; the link
/// step appends how the interface itself runs (kernel module or a userspace implementation).
/// </summary>
internal sealed record BackendChoice(
    string Backend,
    string Reason,
    bool KernelAllowed,
    (string Name, string Command)? Userspace,
    bool UsesWgQuick)
{
    public static BackendChoice Choose(TunnelUpArgs args, SystemTools tools)
    {
        var requested = args.Backend;
        var userspace = FindUserspace(args.UserspaceImplementation, tools);

        if (args.Mode == TunnelModes.Proxy)
        {
            // wg-quick creates its interface where it runs; proxy mode needs it created here and
            // moved into the namespace (so the encrypted socket stays outside): only ip/wg can.
            return requested switch
            {
                "userspace" => new("userspace", "requested; proxy mode sets up the namespace with ip/wg",
                    false, RequireUserspace(userspace, args), false),
                "kernel" => new("kernel", "requested", true, userspace, false),
                "wg-quick" => new("kernel", "wg-quick cannot move an interface into a namespace, so proxy mode uses ip/wg directly", true, userspace, false),
                _ => new("kernel", "auto: proxy mode needs the interface created here and moved into its namespace, which only ip/wg do", true, userspace, false),
            };
        }

        switch (requested)
        {
            case "wg-quick":
                RequireWgQuick(tools, "wg-quick");
                return new("wg-quick", "requested", true, userspace, true);
            case "userspace":
                RequireWgQuick(tools, "userspace");
                var u = RequireUserspace(userspace, args);
                return new("userspace", $"requested: wg-quick with {u.Name} as WG_QUICK_USERSPACE_IMPLEMENTATION", false, u, true);
            case "kernel":
                return new("kernel", "requested", true, userspace, false);
            default:
                return tools.Has(tools.WgQuick)
                    ? new("wg-quick", "auto: wg-quick is installed", true, userspace, true)
                    : new("kernel", "auto: wg-quick is not installed, so ip/wg directly", true, userspace, false);
        }
    }

    private static (string Name, string Command)? FindUserspace(string? preferred, SystemTools tools)
    {
        foreach (var (name, commands) in tools.UserspaceImplementations)
        {
            if (preferred is not null && name != preferred) continue;
            foreach (var command in commands)
                if (tools.Which(command) is { } path) return (name, path);
        }
        return null;
    }

    private static (string Name, string Command) RequireUserspace((string Name, string Command)? found, TunnelUpArgs args) =>
        found ?? throw new PrivilegedException(ErrorCodes.Failed, args.UserspaceImplementation is { } wanted
            ? $"userspace implementation {wanted} is not installed; install it (Debian: apt install {wanted}) or choose another"
            : "no userspace WireGuard implementation is installed; install wireguard-go (apt install wireguard-go) or boringtun");

    private static void RequireWgQuick(SystemTools tools, string backend)
    {
        if (!tools.Has(tools.WgQuick))
            throw new PrivilegedException(ErrorCodes.Failed,
                $"backend {backend} needs wg-quick, which is not installed; install wireguard-tools or use --backend kernel");
    }
}
