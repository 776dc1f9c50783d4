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
            Context.Console.Out.WriteLine($"Serilog {PackageVersion(typeof(Serilog.Log).Assembly)}");
            return Task.FromResult(0);
        }
        return base.RunVerbAsync(invocation, cancellationToken);
    }

    /// <summary>The package version (assembly versions of Serilog are pinned per major, so they cannot tell 3.1.1 from 3.0.0).</summary>
    public static string PackageVersion(System.Reflection.Assembly assembly) =>
        (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion ?? "?").Split('+')[0];
}
