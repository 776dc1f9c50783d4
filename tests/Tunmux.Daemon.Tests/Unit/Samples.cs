using Tunmux.Privileged.Protocol;

namespace Tunmux.Daemon.Tests.Unit;

/// <summary>Well-formed requests that tests then spoil one field at a time.</summary>
internal static class Samples
{
    public const string Key = "YEocP0e2o1WT5GlvBvQzVF7h/zm6/F6/LpuUZW7vf2I=";
    public const string Key2 = "mcr0j4n0NuOl3sbQXA0Yjk9fzCbKkw6ZZMnqvb6OW1M=";

    public static ProfileDto Profile() => new()
    {
        PrivateKey = Key,
        Addresses = ["10.2.0.2/32", "fd00::2/128"],
        Dns = ["10.2.0.1"],
        Mtu = 1420,
        Peers =
        [
            new PeerDto { PublicKey = Key2, Endpoint = "198.18.0.10:51820", AllowedIps = ["0.0.0.0/0", "::/0"], PersistentKeepalive = 25 },
        ],
    };

    public static TunnelUpArgs ProxyUp() => new()
    {
        Instance = "us-1",
        Provider = "proton",
        Mode = "proxy",
        Backend = "userspace",
        Profile = Profile(),
        Proxy = new ProxyArgs { SocksPort = 1080, HttpPort = 8118, Username = "user", Password = "pa ss:word" },
    };

    public static TunnelUpArgs DirectUp() => ProxyUp() with { Instance = "_direct", Mode = "direct", Proxy = null, Backend = "auto" };
}
