using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.TestPlugins.ThrowingProvider))]

namespace Tunmux.TestPlugins;

public sealed class ThrowingProvider : TestProviderBase
{
    public ThrowingProvider() => throw new InvalidOperationException("boom in constructor");

    public override string Name => "testthrows";
}
