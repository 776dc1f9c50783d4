namespace Tunmux.Plugins.WgConf.Tests;

/// <summary>Well-formed test keys (base64 of 32 bytes); not real keys of anything.</summary>
internal static class Keys
{
    public static string Of(byte fill) => Convert.ToBase64String(Enumerable.Repeat(fill, 32).ToArray());

    public static readonly string Private = Of(1);
    public static readonly string Public = Of(2);
    public static readonly string Preshared = Of(3);
    public static readonly string OtherPublic = Of(4);

    public static string Config(string endpoint = "198.18.1.2:51820") => $"""
        [Interface]
        PrivateKey = {Private}
        Address = 10.2.0.2/32
        DNS = 10.2.0.1

        [Peer]
        PublicKey = {Public}
        Endpoint = {endpoint}
        AllowedIPs = 0.0.0.0/0, ::/0
        """;
}
