using System.Text.RegularExpressions;
using CommandLine;
using Tunmux.Privileged;
using Tunmux.Privileged.Daemon;

namespace Tunmux.Host.Cli;

/// <summary><c>tunmux privileged --serve ...</c>: parses the daemon's flags and runs it.</summary>
internal static partial class PrivilegedCommand
{
    internal sealed class ServeFlags
    {
        [Option("serve", Required = true, HelpText = "Run the privileged daemon (as root).")]
        public bool Serve { get; set; }

        [Option("stdio", HelpText = "Serve one client on stdin/stdout instead of the control socket.")]
        public bool Stdio { get; set; }

        [Option("autostarted", HelpText = "Started by a client's autostart; clients may then ask it to stop when idle.")]
        public bool Autostarted { get; set; }

        [Option("authorized-group", HelpText = "Group whose members may use the daemon besides root.")]
        public string? AuthorizedGroup { get; set; }

        [Option("idle-timeout-ms", HelpText = "Exit after this many milliseconds without clients or requests.")]
        public int? IdleTimeoutMs { get; set; }
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")]
    private static partial Regex GroupNamePattern();

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var parser = new Parser(s =>
        {
            s.HelpWriter = Console.Error;
            s.CaseSensitive = true;
            s.IgnoreUnknownArguments = false;
        });
        var parsed = parser.ParseArguments<ServeFlags>(args);
        if (parsed is not Parsed<ServeFlags> { Value: var flags }) return 2;

        if (flags.AuthorizedGroup is { } group && !GroupNamePattern().IsMatch(group))
            return Fail($"invalid --authorized-group '{group}': expected a group name like 'tunmux'");
        if (flags.IdleTimeoutMs is < 1)
            return Fail("invalid --idle-timeout-ms: expected a positive number of milliseconds");

        var options = new DaemonOptions
        {
            Stdio = flags.Stdio,
            Autostarted = flags.Autostarted,
            AuthorizedGroup = flags.AuthorizedGroup,
            IdleTimeoutMs = flags.IdleTimeoutMs,
        };
        return await PrivilegedEntry.ServeAsync(options, cancellationToken);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return 2;
    }
}
