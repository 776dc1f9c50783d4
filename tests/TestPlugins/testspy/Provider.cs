using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.TestPlugins.SpyProvider))]

namespace Tunmux.TestPlugins;

/// <summary>Leaves a marker file when constructed, so a test can tell whether the host loaded it.</summary>
public sealed class SpyProvider : TestProviderBase
{
    public SpyProvider()
    {
        if (Environment.GetEnvironmentVariable("TUNMUX_TEST_SPY_MARKER") is { Length: > 0 } marker)
            File.AppendAllText(marker, "loaded\n");
    }

    public override string Name => "testspy";
}
