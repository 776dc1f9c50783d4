namespace Tunmux.Plugins.AirVpn.Web;

/// <summary>A forwarded port as the ports page lists it.</summary>
internal sealed record ForwardedPort(int Port, int Pool, string Protocol, int? Local, bool Enabled, string Device, string Ddns);

/// <summary>A server session that currently serves a forwarded port.</summary>
internal sealed record PortSession(int Pool, string Protocol, string IpLayer, string ServerName, string ServerCountry,
    string ServerLocation, string ServerIp, string ClientIp, string DeviceName);

/// <summary>A device (WireGuard key) on the devices page.</summary>
internal sealed record Device(string Id, string Name, string WgPublicKey, string WgIpv4, string WgIpv6);

/// <summary>A REST API key on the API settings page.</summary>
internal sealed record ApiKey(string Id, string Name, string Secret, string SecretShort, long CreationDate);

/// <summary>A VPN session of the account, with its traffic.</summary>
internal sealed record VpnSession(string DeviceName, string ServerName, string ServerLocation, long ConnectedSince,
    long BytesWrite, long BytesRead, long SpeedWrite, long SpeedRead, string SoftwareName,
    string ExitIpv4, string ExitIpv6, string VpnIpv4, string VpnIpv6, string EntryLayer);
