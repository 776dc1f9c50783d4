using Tunmux.Contracts;

[assembly: TunmuxPlugin(typeof(Tunmux.TestPlugins.GoodProvider))]

namespace Tunmux.TestPlugins;

public sealed class GoodProvider : TestProviderBase
{
    public override string Name => "testgood";

    public override Task<int> RunVerbAsync(VerbInvocation invocation, CancellationToken cancellationToken)
    {
        if (invocation.Path is ["whoami"])
        {
            var serilog = typeof(Serilog.Log).Assembly.GetName();
            Context.Console.Out.WriteLine($"Serilog {serilog.Version}");
            return Task.FromResult(0);
        }
        return base.RunVerbAsync(invocation, cancellationToken);
    }
}
