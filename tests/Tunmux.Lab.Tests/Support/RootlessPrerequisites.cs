using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Users;

namespace Tunmux.LabTests.Support;

/// <summary>What a rootless exit of a test user needs here: users the test may create, pasta and wireguard-go.</summary>
internal static class RootlessPrerequisites
{
    /// <summary>
    /// Skips the fixture, naming the reason, when something is missing; else sets /dev/net/tun to the stock mode
    /// (everyone may open it) until the returned handle is disposed.
    /// </summary>
    public static IDisposable Require()
    {
        if (LocalUsers.Unavailable() is { } why) Assert.Ignore(why);
        Requires.Command("pasta", "passt");
        Requires.Command("wireguard-go", "wireguard-go");
        return LocalUsers.TunMode(LocalUsers.StockTunMode);
    }
}
