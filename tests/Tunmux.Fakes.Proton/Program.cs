using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tunmux.Fakes.Kit;
using Tunmux.Contracts;
using Tunmux.Fakes.Proton;
using Tunmux.Plugins.Proton;

// Standalone entry points of the fake Proton API:
//   serve (default)    --port N --logicals FILE [--account user:password[:totpsecret[:tier]]]... [--hook PROGRAM ARGS...]
//   generate-logicals  --count N --out FILE [--seed S]
//   bench-servers      --manifest FILE [--country CC] [--iterations N]
var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "serve";
var rest = command == "serve" && (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) ? args : args[1..];
try
{
    return command switch
    {
        "serve" => await Commands.ServeAsync(rest),
        "generate-logicals" => Commands.Generate(rest),
        "bench-servers" => await Commands.BenchAsync(rest),
        _ => Commands.Usage($"unknown command '{command}'"),
    };
}
catch (ArgumentException ex)
{
    return Commands.Usage(ex.Message);
}

internal static class Commands
{
    public static int Usage(string error)
    {
        Console.Error.WriteLine($"error: {error}");
        Console.Error.WriteLine("usage: Tunmux.Fakes.Proton [serve] --port N --logicals FILE [--account user:password[:totpsecret[:tier]]]... [--hook PROGRAM ARGS...]");
        Console.Error.WriteLine("       Tunmux.Fakes.Proton generate-logicals --count N --out FILE [--seed S]");
        Console.Error.WriteLine("       Tunmux.Fakes.Proton bench-servers --manifest FILE [--country CC] [--iterations N]");
        return 2;
    }

    public static async Task<int> ServeAsync(string[] args)
    {
        var port = 0;
        string? logicals = null;
        var accounts = new List<FakeAccount>();
        List<string>? hook = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--logicals": logicals = Value(args, ref i); break;
                case "--account": accounts.Add(FakeAccount.Parse(Value(args, ref i))); break;
                // Everything after --hook is the hook's argument vector (never a shell line).
                case "--hook": hook = [.. args[(i + 1)..]]; i = args.Length; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (hook is { Count: 0 }) throw new ArgumentException("--hook needs a program");
        if (accounts.Count == 0) accounts.Add(new FakeAccount("labuser", "labpass"));

        await using var api = new FakeProtonApi { Hook = hook };
        if (logicals is not null) api.LogicalsJson = await File.ReadAllBytesAsync(logicals);
        foreach (var a in accounts) api.AddAccount(a);

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        var url = await api.StartAsync(port);
        Console.Out.WriteLine(url.ToString().TrimEnd('/'));
        Console.Out.Flush();
        Console.Error.WriteLine($"fake Proton API ready; accounts: {string.Join(", ", accounts.Select(a => a.Username))}");
        try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
        return 0;
    }

    public static int Generate(string[] args)
    {
        int count = 15000, seed = 1;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--count": count = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--out": output = Value(args, ref i); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (output is null) throw new ArgumentException("--out FILE is required");
        File.WriteAllBytes(output, LogicalsGenerator.Generate(count, seed));
        Console.Out.WriteLine($"{count} logicals written to {output} ({new FileInfo(output).Length / 1024 / 1024.0:0.0} MiB)");
        return 0;
    }

    /// <summary>The provider's servers path in-process: read the cached manifest, parse, filter, sort, serialize.</summary>
    public static async Task<int> BenchAsync(string[] args)
    {
        string? manifest = null;
        var country = "US";
        var iterations = 20;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--manifest": manifest = Value(args, ref i); break;
                case "--country": country = Value(args, ref i); break;
                case "--iterations": iterations = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (manifest is null) throw new ArgumentException("--manifest FILE is required");

        // No network: a closed loopback port as API; the copied manifest is fresh, so it is used as the cache.
        using var context = new PluginTestContext(new Dictionary<string, object> { ["api_url"] = "http://127.0.0.1:9/" }, maskSecretsInLog: false);
        var cached = Path.Combine(context.CacheDirectory, "manifest.json");
        File.Copy(manifest, cached);
        File.SetLastWriteTimeUtc(cached, DateTime.UtcNow);
        var provider = new ProtonProvider { Environment = _ => null };
        provider.Initialize(context);
        var query = new ServerQuery { Country = country, Options = new ServersOptions() };

        var times = new List<double>();
        int rows = 0, bytes = 0;
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            var list = await provider.ListServersAsync(query, CancellationToken.None);
            var json = JsonSerializer.SerializeToUtf8Bytes(list, BenchJson.Default.IReadOnlyListServerInfo);
            sw.Stop();
            times.Add(sw.Elapsed.TotalMilliseconds);
            rows = list.Count;
            bytes = json.Length;
        }
        var sorted = times.Order().ToList();
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"in-process servers --country {country} --json: first {times[0]:0.0} ms, median {sorted[sorted.Count / 2]:0.0} ms, min {sorted[0]:0.0} ms over {iterations} runs; {rows} rows, {bytes} bytes of JSON"));
        return 0;
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
}

/// <summary>The JSON the host writes for <c>servers --json</c> (snake_case, indented), source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<ServerInfo>))]
internal sealed partial class BenchJson : JsonSerializerContext;
