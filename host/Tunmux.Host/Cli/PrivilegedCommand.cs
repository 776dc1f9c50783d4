namespace Tunmux.Host.Cli;

/// <summary><c>tunmux privileged --serve ...</c>: parses the daemon's flags and runs it.</summary>
internal static class PrivilegedCommand
{
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("error: privileged command not implemented yet");
        return Task.FromResult(1);
    }
}
