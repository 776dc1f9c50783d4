using Tunmux.Host.Cli;
using Tunmux.Host.Output;
using Tunmux.Privileged;

namespace Tunmux.Host;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The proxy process is started by the daemon inside a namespace; it needs none of the CLI.
        if (args.Length >= 2 && args[0] == "privileged" && args[1] == "proxy")
            return await PrivilegedEntry.RunProxyAsync(args[2..], CancellationToken.None);

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        var app = new CliApp(TunmuxPaths.FromEnvironment(), ConsoleIO.System());
        return await app.RunAsync(args, cts.Token);
    }
}
