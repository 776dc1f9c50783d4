using System.Text.Json;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Tunnels;
using Tunmux.Privileged.Tunnels.Rootless;

namespace Tunmux.Rootless.Tests;

/// <summary>
/// <c>rootless [--link pasta|slirp4netns] [--private-run] [--fail-step N] [--without TOOL]... [--tool NAME=PATH]...
/// [--proc-sys DIR] up | down NAME | problems NAME | list | exec NAME CMD...</c>: drives
/// <see cref="RootlessTunnelService"/> as whoever runs it (the tests run it as an unprivileged user in the
/// lab's host stand-in), with state under <c>TUNMUX_USER_RUNTIME_DIR</c>. <c>up</c> reads the TunnelUpArgs
/// JSON from stdin. <c>exec</c> prints the command line it would run, one argument per line.
/// An error is "error: &lt;message&gt;" on stderr and exit code 1.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] argv)
    {
        if (argv.Length < 2 || argv[0] != "rootless")
        {
            await Console.Error.WriteLineAsync("usage: rootless [options] up | down NAME | problems NAME | list | exec NAME CMD...");
            return 2;
        }
        string? link = null;
        var privateRun = false;
        int? failStep = null;
        var without = new HashSet<string>();
        var tools = new Dictionary<string, string>();
        var i = 1;
        for (; i < argv.Length && argv[i].StartsWith("--", StringComparison.Ordinal); i++)
        {
            switch (argv[i])
            {
                case "--link": link = argv[++i]; break;
                case "--private-run": privateRun = true; break;
                case "--fail-step": failStep = int.Parse(argv[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--without": without.Add(argv[++i]); break;
                case "--tool": var kv = argv[++i].Split('=', 2); tools[kv[0]] = kv[1]; break;
                case "--proc-sys": RootlessTools.ProcSys = argv[++i]; break;
                default: await Console.Error.WriteLineAsync("unknown option " + argv[i]); return 2;
            }
        }
        var which = new SystemTools().Which;
        var service = new RootlessTunnelService(new RootlessPaths(Environment.GetEnvironmentVariable("TUNMUX_USER_RUNTIME_DIR")!))
        {
            PreferredOutsideLink = link,
            ForcePrivateRun = privateRun,
            FailBeforeStep = failStep,
            Which = name => without.Contains(name) ? null : tools.TryGetValue(name, out var p) ? p : which(name),
        };
        var rest = argv[(i + 1)..];
        try
        {
            object? result = argv[i] switch
            {
                "up" => await service.UpAsync(
                    JsonSerializer.Deserialize<TunnelUpArgs>(await Console.In.ReadToEndAsync(), ProtocolJson.Options)!, CancellationToken.None),
                "down" => new TunnelDownResult { Instance = rest[0], WasUp = await service.DownAsync(rest[0], CancellationToken.None) },
                "problems" => service.Problems(rest[0]),
                "list" => service.ListRecorded(),
                "exec" => service.ExecCommand(rest[0], rest[1..], Environment.CurrentDirectory, Uid(), Gid()).Argv,
                _ => throw new PrivilegedException(ErrorCodes.UnknownOperation, "unknown command " + argv[i]),
            };
            Console.WriteLine(result is IReadOnlyList<string> lines && argv[i] == "exec"
                ? string.Join('\n', lines)
                : JsonSerializer.Serialize(result, ProtocolJson.Options));
            return 0;
        }
        catch (PrivilegedException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getuid")]
    private static extern uint Uid();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getgid")]
    private static extern uint Gid();
}
