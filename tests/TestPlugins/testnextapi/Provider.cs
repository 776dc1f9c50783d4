using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.TestPlugins.NextApiProvider))]

namespace Tunmux.TestPlugins;

public sealed class NextApiProvider : IVpnProvider
{
    public string Name => "testnextapi";
}
