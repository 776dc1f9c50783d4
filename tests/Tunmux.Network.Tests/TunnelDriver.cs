using System.Text.Json;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests;

/// <summary>
/// Runs the tunnel console (<see cref="Program"/>) inside a lab namespace: with <c>nsenter --net</c>
/// for the proxy-mode host stand-in (so namespaces it creates are visible to everyone) or with
/// <c>ip netns exec</c> for the direct-mode one (so its resolv.conf is the lab's file).
/// Each driver has its own state folder, as one daemon would.
/// </summary>
public sealed class TunnelDriver(IReadOnlyList<string> enter, string stateDir, IReadOnlyDictionary<string, string>? environment = null)
{
    public string StateDir { get; } = stateDir;
    public string TunnelsDir => Path.Combine(StateDir, "tunnels");

    public static TunnelDriver InHost(Lab lab, string tag) =>
        new(["nsenter", "--net=/run/netns/" + lab.HostNamespace], Path.Combine(lab.Dir, "state-" + tag));

    public static TunnelDriver InDirectHost(Lab lab, string tag) =>
        new(["ip", "netns", "exec", lab.DirectHostNamespace], Path.Combine(lab.Dir, "state-" + tag));

    /// <summary>
    /// The direct-mode stand-in entered with <c>nsenter --net</c>, so proxy namespaces it creates stay visible; direct
    /// mode is pointed at the stand-in's own resolv.conf (never this machine's).
    /// </summary>
    public static TunnelDriver InDirectHostNetwork(Lab lab, string tag) =>
        new(["nsenter", "--net=/run/netns/" + lab.DirectHostNamespace], Path.Combine(lab.Dir, "state-" + tag),
            new Dictionary<string, string> { ["TUNMUX_TEST_RESOLV_CONF"] = $"/etc/netns/{lab.DirectHostNamespace}/resolv.conf" });

    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "dotnet";

    public string RuntimeDir => Path.Combine(StateDir, "run");

    public LabResult Run(IReadOnlyList<string> args, string? stdin = null) => Lab.Run(enter[0], Command(args), stdin, Variables());

    /// <summary>Starts the console without waiting: its stdin stays open until the caller closes it.</summary>
    public System.Diagnostics.Process Start(IReadOnlyList<string> args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(enter[0])
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in Command(args)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Variables()) psi.Environment[k] = v;
        return System.Diagnostics.Process.Start(psi)!;
    }

    private List<string> Command(IReadOnlyList<string> args) => [.. enter.Skip(1), Dotnet, typeof(Program).Assembly.Location, "tunnel", .. args];

    private Dictionary<string, string> Variables()
    {
        var env = new Dictionary<string, string>
        {
            ["TUNMUX_STATE_DIR"] = StateDir,
            ["TUNMUX_RUNTIME_DIR"] = RuntimeDir,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_TieredPGO"] = "0",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) env[k] = v;
        return env;
    }

    /// <summary>Lockdown on or off, as the daemon's <c>lockdown.set</c> does it.</summary>
    public FirewallStatus Lockdown(bool on, bool allowLan = false)
    {
        var r = Run(allowLan ? ["lockdown", on ? "on" : "off", "--allow-lan"] : ["lockdown", on ? "on" : "off"]);
        if (!r.Ok) throw new InvalidOperationException("lockdown failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<FirewallStatus>(r.Output, ProtocolJson.Options)!;
    }

    public FirewallStatus Firewall(string command = "firewall")
    {
        var r = Run([command]);
        if (!r.Ok) throw new InvalidOperationException(command + " failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<FirewallStatus>(r.Output, ProtocolJson.Options)!;
    }

    public LabResult TryUp(TunnelUpArgs args, int? failStep = null, string? journal = null, int? crashStep = null)
    {
        var extra = new List<string> { "up" };
        if (failStep is { } k) extra.AddRange(["--fail-step", k.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (crashStep is { } c) extra.AddRange(["--crash-step", c.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (journal is not null) extra.AddRange(["--journal", journal]);
        return Run(extra, JsonSerializer.Serialize(args, ProtocolJson.Options));
    }

    public TunnelInfo Up(TunnelUpArgs args)
    {
        var r = TryUp(args);
        if (!r.Ok) throw new InvalidOperationException("up failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<TunnelInfo>(r.Output, ProtocolJson.Options)!;
    }

    public bool Down(string instance)
    {
        var r = Run(["down", instance]);
        if (!r.Ok) throw new InvalidOperationException("down failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<TunnelDownResult>(r.Output, ProtocolJson.Options)!.WasUp;
    }

    public TunnelInfo? Inspect(string instance)
    {
        var r = Run(["inspect", instance]);
        if (!r.Ok) throw new InvalidOperationException("inspect failed: " + r.Error.Trim());
        return r.Output.Trim() == "null" ? null : JsonSerializer.Deserialize<TunnelInfo>(r.Output, ProtocolJson.Options);
    }

    public IReadOnlyList<TunnelInfo> List()
    {
        var r = Run(["list"]);
        if (!r.Ok) throw new InvalidOperationException("list failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<TunnelListResult>(r.Output, ProtocolJson.Options)!.Tunnels;
    }

    public IReadOnlyList<string> Steps(TunnelUpArgs args)
    {
        var r = Run(["steps"], JsonSerializer.Serialize(args, ProtocolJson.Options));
        if (!r.Ok) throw new InvalidOperationException("steps failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<List<string>>(r.Output)!;
    }

    /// <summary>Up arguments for a lab client (a key registered on one server).</summary>
    public static TunnelUpArgs Args(LabClient c, string instance, string mode, string backend = "auto",
        ProxyArgs? proxy = null, int? handshakeTimeoutMs = null, string? serverKey = null, int? keepalive = null) => new()
    {
        Instance = instance,
        Provider = "lab",
        Mode = mode,
        Backend = backend,
        Proxy = proxy,
        HandshakeTimeoutMs = handshakeTimeoutMs,
        Profile = new ProfileDto
        {
            PrivateKey = c.PrivateKey,
            Addresses = [c.Address],
            Dns = [c.Dns],
            Peers =
            [
                new PeerDto
                {
                    PublicKey = serverKey ?? c.ServerPublicKey,
                    Endpoint = c.Endpoint,
                    AllowedIps = ["0.0.0.0/0", "::/0"],
                    PersistentKeepalive = keepalive,
                },
            ],
        },
    };
}
