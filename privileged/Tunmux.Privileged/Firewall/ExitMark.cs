namespace Tunmux.Privileged.Firewall;

/// <summary>
/// The firewall mark on every tunmux exit's encrypted WireGuard socket (direct and proxy alike). Direct mode's
/// routing sends every unmarked packet into its tunnel, so marked packets (the exits' own encrypted traffic)
/// take the ordinary route to their servers; the kill switch lets exactly these packets out to exactly those
/// servers. wg-quick's default, so a lone direct connection looks as it always did: table 51820, mark 0xca6c.
/// </summary>
internal static class ExitMark
{
    public const int Value = 51820;
}
