using NUnit.Framework;

namespace Tunmux.TestSupport.Lab;

/// <summary>
/// Base class for NUnit fixtures that need the lab: builds it once for the fixture (root and the
/// lab's tools required, else every test is an explicit skip) and takes it down after, whatever happened.
/// </summary>
public abstract class LabFixture
{
    private Lab? _lab;

    /// <summary>How many fake VPN servers the fixture needs.</summary>
    protected virtual int Servers => 2;

    protected Lab Lab => _lab ?? throw new InvalidOperationException("the lab is not up");

    [OneTimeSetUp]
    public void LabUp()
    {
        RequireLab();
        _lab = Lab.Up(Servers);
    }

    [OneTimeTearDown]
    public void LabDown()
    {
        _lab?.Dispose();
        _lab = null;
    }

    /// <summary>Explicit skips naming what is missing for the lab.</summary>
    public static void RequireLab()
    {
        Requires.Root("the lab creates network namespaces");
        Requires.Command("ip", "iproute2");
        Requires.Command("nsenter", "util-linux");
        Requires.Command("wg", "wireguard-tools");
        Requires.Command("wireguard-go", "wireguard-go");
        Requires.Command("nft", "nftables");
        Requires.Command("dnsmasq", "dnsmasq");
        Requires.Command("python3", "python3");
        Requires.Command("curl", "curl");
    }
}
