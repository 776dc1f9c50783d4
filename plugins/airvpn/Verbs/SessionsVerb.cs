using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Model;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary><c>sessions</c>: the account's connected sessions with traffic statistics.</summary>
internal sealed class SessionsVerb(AirAccount account, IProviderContext context)
{
    public Task<int> RunAsync(SessionsOptions options, CancellationToken ct) => SiteAccess.RunAsync(account, context, async (site, c) =>
    {
        var sessions = await site.ListSessionsAsync(c);
        var console = context.Console;
        if (options.Json)
        {
            console.WriteJson(sessions);
            return;
        }
        if (sessions.Count == 0)
        {
            console.Out.WriteLine("No active sessions.");
            return;
        }
        console.WriteTable(["Device", "Server", "Location", "VPN IP", "Exit IP", "Connected", "Sent", "Received", "Speed up/down"],
            sessions.Select(s => (IReadOnlyList<string>)
            [
                s.DeviceName, s.ServerName, s.ServerLocation, Format.Dash(s.VpnIpv4), Format.Dash(s.ExitIpv4), Format.Since(s.ConnectedSince),
                Format.Bytes(s.BytesWrite), Format.Bytes(s.BytesRead), $"{Format.Speed(s.SpeedWrite)} / {Format.Speed(s.SpeedRead)}",
            ]));
    }, ct);
}
