using System.Net.Sockets;
using Tunmux.Contracts;
using Tunmux.Host.Privileged;
using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// Other users' exits as <c>status</c> shows them: the daemon tells a member that they exist, their names and the
/// ports they hold, and nothing more (<c>other_user: true</c>); status shows exactly that.
/// </summary>
internal static class OtherUsersExits
{
    /// <summary>How long status waits for a daemon that accepted the connection but does not answer.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Other users' exits from a running daemon; none when no daemon runs (status never starts one), when this user
    /// may not ask it (outside its group), or when it does not answer in time: status must work without it.
    /// </summary>
    public static async Task<IReadOnlyList<TunnelInfo>> AskDaemonAsync(CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux()) return [];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Patience);
        try
        {
            await using var client = await PrivilegedClient.TryConnectAsync(new PrivilegedClientOptions { Autostart = false }, timeout.Token);
            if (client is null) return [];
            return (await client.TunnelListRecordedAsync(timeout.Token)).Where(t => t.OtherUser).ToList();
        }
        catch (Exception e) when (e is PrivilegedException or IOException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return [];
        }
    }

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
