using System.Text.Json;
using Tunmux.Host.Privileged;
using Tunmux.Privileged;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests;

/// <summary>
/// A small client the tests run as other users (through setpriv) and as separate processes:
/// <c>dotnet Tunmux.Daemon.Tests.dll probe &lt;transport&gt; &lt;autostart&gt; &lt;autostop-mode&gt; &lt;timeout-ms&gt; &lt;group&gt; [hold-ms]</c>.
/// Connects with <see cref="PrivilegedClient"/>, pings, lists, optionally brings up the intent in <c>PROBE_UP</c>,
/// optionally holds the connection, and prints one
/// JSON line: {"ok":true,"version":...} or {"ok":false,"code":...,"message":...}.
/// </summary>
public static class ProbeProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["raw", var socketPath, var json])
        {
            // One frame as given, one answer printed: for requests a real client would not send.
            using var raw = new Integration.RawClient(socketPath);
            Console.WriteLine(raw.Call(json).GetRawText());
            return 0;
        }
        if (args is ["pid-reuse", var recordsDir]) return Integration.PidReuseProbe.Run(recordsDir);
        if (args.Length < 6 || args[0] != "probe")
        {
            Console.Error.WriteLine("usage: probe <socket|stdio> <true|false> <never|command|timeout> <timeout-ms> <group> [hold-ms]");
            return 2;
        }
        var options = new PrivilegedClientOptions
        {
            Transport = args[1],
            Autostart = bool.Parse(args[2]),
            AutostopMode = args[3],
            AutostopTimeoutMs = int.Parse(args[4]),
            AutostartTimeoutMs = int.TryParse(Environment.GetEnvironmentVariable("PROBE_AUTOSTART_TIMEOUT_MS"), out var t) ? t : 20000,
            AuthorizedGroup = args[5],
            Paths = PrivilegedPaths.FromEnvironment(),
        };
        var hold = args.Length > 6 ? int.Parse(args[6]) : 0;
        try
        {
            await using var client = await PrivilegedClient.ConnectAsync(options, CancellationToken.None);
            var version = await client.PingAsync(CancellationToken.None);
            var list = await client.TunnelListAsync(CancellationToken.None);
            // PROBE_UP: one tunnel.up intent (JSON of TunnelUpArgs) to send after the ping, as this user.
            if (Environment.GetEnvironmentVariable("PROBE_UP") is { Length: > 0 } up)
                await client.TunnelUpAsync(JsonSerializer.Deserialize<TunnelUpArgs>(up, ProtocolJson.Options)!, CancellationToken.None);
            if (hold > 0) await Task.Delay(hold);
            Console.WriteLine(JsonSerializer.Serialize(new { ok = true, version = version.Version, tunnels = list.Count }));
            return 0;
        }
        catch (PrivilegedException e)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { ok = false, code = e.Code, message = e.Message }));
            return 1;
        }
    }
}
