using System.Runtime.InteropServices;

namespace Tunmux.Fakes.Kit;

/// <summary>The standalone form of a fake: print the base URL on the first line of standard output, serve until SIGTERM or SIGINT.</summary>
public static class ServeLoop
{
    public static async Task<int> RunAsync(FakeHttpServer server, int port, string banner)
    {
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        var url = await server.StartAsync(port).ConfigureAwait(false);
        Console.Out.WriteLine(url.ToString().TrimEnd('/'));
        Console.Out.Flush();
        Console.Error.WriteLine(banner);
        try { await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        await server.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>The value after an option, or a usage error.</summary>
    public static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
}
