using Tunmux.TestSupport.Users;
using Tunmux.Rootless.Tests;
using System.Globalization;
using System.Text.Json;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Rootless.Tests.Support;

/// <summary>
/// Runs programs as a test user in the lab's host stand-in (<c>nsenter --net</c>, then <c>setpriv</c> to the
/// user with a plain environment), among them the rootless console (<see cref="Program"/>) with the user's
/// own runtime folder.
/// </summary>
public sealed class RootlessDriver(Lab lab, TestUser user)
{
    public TestUser User { get; } = user;
    public string RuntimeDir => Path.Combine(User.Home, "run");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "/usr/bin/dotnet";

    /// <summary>Runs <paramref name="file"/> as the user in the host stand-in.</summary>
    public LabResult AsUser(string file, IReadOnlyList<string> args, string? stdin = null, int timeoutMs = 60_000) =>
        Lab.Run("nsenter",
        [
            "--net=/run/netns/" + lab.HostNamespace,
            .. User.AsUser(new Dictionary<string, string> { ["TUNMUX_USER_RUNTIME_DIR"] = RuntimeDir }),
            file, .. args,
        ], stdin, timeoutMs: timeoutMs);

    /// <summary>The rootless console with <paramref name="args"/> (options first, then the command).</summary>
    public LabResult Console(IReadOnlyList<string> args, string? stdin = null) =>
        AsUser(Dotnet, [typeof(Program).Assembly.Location, "rootless", .. args], stdin);

    public LabResult TryUp(TunnelUpArgs args, params string[] options) =>
        Console([.. options, "up"], JsonSerializer.Serialize(args, ProtocolJson.Options));

    public TunnelInfo Up(TunnelUpArgs args, params string[] options)
    {
        var r = TryUp(args, options);
        if (!r.Ok) throw new InvalidOperationException("rootless up failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<TunnelInfo>(r.Output, ProtocolJson.Options)!;
    }

    public bool Down(string instance)
    {
        var r = Console(["down", instance]);
        if (!r.Ok) throw new InvalidOperationException("rootless down failed: " + r.Error.Trim());
        return JsonSerializer.Deserialize<TunnelDownResult>(r.Output, ProtocolJson.Options)!.WasUp;
    }

    public IReadOnlyList<string> Problems(string instance) =>
        JsonSerializer.Deserialize<List<string>>(Lab.Check(Console(["problems", instance])))!;

    public IReadOnlyList<TunnelInfo> List() =>
        JsonSerializer.Deserialize<List<TunnelInfo>>(Lab.Check(Console(["list"])), ProtocolJson.Options)!;

    /// <summary>Runs <paramref name="command"/> inside the exit as the user, the way <c>tunmux exec</c> does.</summary>
    public LabResult Exec(string instance, params string[] command)
    {
        var argv = Lab.Check(Console(["exec", instance, .. command])).TrimEnd('\n').Split('\n');
        return AsUser(argv[0], argv[1..]);
    }

    /// <summary>curl as the user in the host stand-in; the body, or "error: ..." .</summary>
    public string Curl(params string[] args)
    {
        var r = AsUser("curl", ["-sS", "-m", "8", .. args]);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    /// <summary>Up arguments for a lab client in proxy mode with the given ports.</summary>
    public static TunnelUpArgs Args(LabClient c, string instance, int socks, int http) => new()
    {
        Instance = instance,
        Provider = "lab",
        Mode = "proxy",
        Backend = "auto",
        HandshakeTimeoutMs = 5000,
        Profile = new ProfileDto
        {
            PrivateKey = c.PrivateKey,
            Addresses = [c.Address],
            Dns = ["10.2.0.1"],
            Peers =
            [
                new PeerDto { PublicKey = c.ServerPublicKey, Endpoint = c.Endpoint, AllowedIps = ["0.0.0.0/0", "::/0"] },
            ],
        },
        Proxy = new ProxyArgs { SocksPort = socks, HttpPort = http },
    };

    public static string Port(int p) => p.ToString(CultureInfo.InvariantCulture);
}
