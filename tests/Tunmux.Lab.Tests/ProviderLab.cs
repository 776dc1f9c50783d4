using System.Globalization;
using Tunmux.LabTests.Support;

namespace Tunmux.LabTests;

/// <summary>What the provider fakes need to hand out the lab's servers.</summary>
public abstract class ProviderLab : LabSession
{
    /// <summary>Server <paramref name="k"/>'s WireGuard public key, as its client config names it.</summary>
    protected string ServerPublicKey(int k) =>
        Lab.ClientConf(k).Split('\n').First(l => l.StartsWith("PublicKey", StringComparison.Ordinal)).Split('=', 2)[1].Trim();

    /// <summary>
    /// A hook script registering a client key (with its tunnel address) on every lab server, so any
    /// server the provider picks accepts the client. The arguments are the last two the fake passes.
    /// </summary>
    /// <param name="session">The session whose work folder holds the script.</param>
    /// <param name="servers">The servers to register on (all of the lab's when null).</param>
    protected string WriteAddPeerHook(TunmuxSession session, IReadOnlyList<int>? servers = null)
    {
        var path = Path.Combine(session.WorkDir, "add-peer.sh");
        var lines = new List<string>
        {
            "#!/bin/sh",
            "# usage: add-peer.sh ... PUBKEY ADDRESS",
            "eval pub=\\${$(($# - 1))} addr=\\${$#}",
            $"export TUNMUX_LAB_NAME='{Lab.Name}' TUNMUX_LAB_DIR='{Lab.Dir}'",
        };
        foreach (var k in servers ?? Enumerable.Range(1, Lab.Servers))
            lines.Add($"bash '{Tunmux.TestSupport.Lab.Lab.ScriptPath}' add-peer {k.ToString(CultureInfo.InvariantCulture)} \"$pub\" \"$addr\" || exit 1");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>
    /// A CLI session with a fake provider API next to it: the fake is ended after the session has
    /// disconnected everything, both by PID whatever the test did.
    /// </summary>
    protected TunmuxSession StartWithFake(bool direct, Func<TunmuxSession, FakeApi> startFake, Action<TunmuxSession> login)
    {
        var tm = new TunmuxSession(Lab, direct);
        try
        {
            Track(startFake(tm));
        }
        catch
        {
            tm.Dispose();
            throw;
        }
        Track(tm);
        login(tm);
        return tm;
    }

    /// <summary>
    /// A Proton logical server (the <c>/vpn/v1/logicals</c> shape the fake serves) whose one machine is lab server
    /// <paramref name="k"/>; its score ranks it (lower first), so server 1 comes before server 2 in a country.
    /// </summary>
    protected object ProtonLogical(int k, string name, string country, string city, double? score = null) => new
    {
        Name = name,
        EntryCountry = country,
        ExitCountry = country,
        Domain = $"node-{country.ToLowerInvariant()}-0{k}.lab",
        Tier = 2,
        Features = 0,
        Region = (string?)null,
        City = city,
        Score = score ?? 1.0 + k,
        HostCountry = (string?)null,
        ID = "lab" + k,
        Location = new { Lat = 52.0, Long = 5.0 },
        Status = 1,
        Load = 10,
        Servers = new[]
        {
            new
            {
                EntryIP = Lab.ExitAddress(k),
                ExitIP = Lab.ExitAddress(k),
                Domain = $"node-{country.ToLowerInvariant()}-0{k}.lab",
                ID = "lab" + k + "p",
                Label = "0",
                Generation = 0,
                Status = 1,
                ServicesDownReason = (string?)null,
                X25519PublicKey = ServerPublicKey(k),
            },
        },
    };

    /// <summary>Names of instances tests create start with the lab name, so <c>lab.sh down</c> removes their namespaces too.</summary>
    protected string ServerName(string suffix) => LabName.ToUpperInvariant() + "-" + suffix;

    protected static string Instance(string serverName) => serverName.ToLowerInvariant().Replace('#', '-');
}
