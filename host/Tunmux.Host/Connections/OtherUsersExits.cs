using Tunmux.Contracts;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// Other users' exits as <c>status</c> shows them: the daemon tells a member that they exist, their names and the
/// ports they hold, and nothing more (<c>other_user: true</c>); status shows exactly that (asked once, with the health).
/// </summary>
internal static class OtherUsersExits
{
    public static object ToJson(TunnelInfo t) => new
    {
        instance = t.Instance,
        mode = t.Mode,
        socks_port = t.SocksPort,
        http_port = t.HttpPort,
    };

    public static void Write(IConsoleIO console, IReadOnlyList<TunnelInfo> others)
    {
        if (others.Count == 0) return;
        console.Out.WriteLine("Other users' exits (their names and the ports they hold):");
        console.WriteTable(["INSTANCE", "MODE", "PORTS HELD"],
            others.Select(t => (IReadOnlyList<string>)[t.Instance, t.Mode, Ports(t)]));
        console.Out.WriteLine();
    }

    private static string Ports(TunnelInfo t) => t.SocksPort is { } socks ? $"SOCKS5 :{socks}, HTTP :{t.HttpPort}" : "-";
}
