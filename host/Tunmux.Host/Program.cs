using Tunmux.Privileged;

namespace Tunmux.Host;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Provisional routing until the CLI lands: the root side's entry points.
        if (args.Length >= 2 && args[0] == "privileged" && args[1] == "proxy")
            return await PrivilegedEntry.RunProxyAsync(args[2..], CancellationToken.None);
        if (args.Length >= 1 && args[0] == "privileged")
            return await Cli.PrivilegedCommand.RunAsync(args[1..], CancellationToken.None);
        Console.Error.WriteLine("error: CLI not implemented yet");
        return 2;
    }
}
