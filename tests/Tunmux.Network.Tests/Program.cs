using System.Diagnostics;
using System.Text.Json;
using Tunmux.Privileged;
using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;
using Tunmux.Privileged.Tunnels;

namespace Tunmux.Network.Tests;

/// <summary>
/// <c>tunnel up [--fail-step N] [--journal FILE] | down NAME | list | inspect NAME</c>: runs
/// <see cref="TunnelService"/> in whatever network namespace this process was started in (the
/// lab's host stand-ins), with paths from TUNMUX_STATE_DIR / TUNMUX_RUNTIME_DIR. <c>up</c> reads
/// the TunnelUpArgs JSON from stdin, so the private key never appears on a command line.
/// Prints the result as JSON; an error is "error: &lt;code&gt;: &lt;message&gt;" on stderr and exit code 1.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] argv)
    {
        if (argv.Length < 2 || argv[0] != "tunnel")
        {
            await Console.Error.WriteLineAsync("usage: tunnel up [--fail-step N] [--crash-step N] [--journal FILE] | down NAME | list | inspect NAME | " +
                                               "lockdown on|off [--allow-lan] | firewall | restore | bench URL RUNS | supervise");
            return 2;
        }
        var paths = PrivilegedPaths.FromEnvironment();
        var runner = new ProcessRunner();
        string? journal = null;
        var service = new TunnelService(paths, new ManagedPids(paths.ManagedPidsDir), new SleepingProxyLauncher(paths), runner);
        // Entered with nsenter (the host's mount namespace), direct mode must still write the stand-in's own resolv.conf.
        if (Environment.GetEnvironmentVariable("TUNMUX_TEST_RESOLV_CONF") is { Length: > 0 } resolvConf)
            service.Tools = new SystemTools { ResolvConfPath = resolvConf };
        for (var i = 2; i < argv.Length; i++)
        {
            if (argv[i] == "--fail-step") service.FailBeforeStep = int.Parse(argv[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (argv[i] == "--crash-step") service.CrashBeforeStep = int.Parse(argv[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (argv[i] == "--journal") journal = argv[++i];
        }
        if (journal is not null) runner.Journal = [];
        try
        {
            object? result = argv[1] switch
            {
                "up" => await service.UpAsync(
                    JsonSerializer.Deserialize<TunnelUpArgs>(await Console.In.ReadToEndAsync(), ProtocolJson.Options)!, CallerIdentity.Root, CancellationToken.None),
                "down" => new TunnelDownResult { Instance = argv[2], WasUp = await service.DownAsync(argv[2], CancellationToken.None) },
                "list" => new TunnelListResult { Tunnels = await service.ListAsync(CancellationToken.None) },
                "inspect" => await service.InspectAsync(argv[2], CancellationToken.None),
                "lockdown" => await service.SetLockdownAsync(
                    new LockdownArgs { Enabled = argv[2] == "on", AllowLan = argv.Contains("--allow-lan") }, 0, CancellationToken.None),
                "firewall" => await service.FirewallStatusAsync(CancellationToken.None),
                // What an exit's supervisor announces before a failover.
                "allow-endpoint" => await AllowEndpointAsync(service, argv[2], argv[3]),
                // A client's firewall.allow_api, held until stdin closes (as the daemon holds it until the connection closes).
                "allow-api" => await AllowApiAsync(service, uint.Parse(argv[2], System.Globalization.CultureInfo.InvariantCulture), argv[3..]),
                // A client's firewall.rootless_exit (its uid is the caller's, which the daemon takes from the socket).
                "rootless-exit" => await RootlessExitAsync(service, uint.Parse(argv[2], System.Globalization.CultureInfo.InvariantCulture), argv[3],
                    argv.Length > 4 ? argv[4] : null),
                // What the daemon does when it starts (after an idle stop, a crash or a reboot).
                "restore" => await RestoreAsync(service),
                "bench" => await BenchAsync(service, runner, argv[2], int.Parse(argv[3], System.Globalization.CultureInfo.InvariantCulture)),
                "supervise" => await SuperviseAsync(service),
                "steps" => service.StepNames(
                    JsonSerializer.Deserialize<TunnelUpArgs>(await Console.In.ReadToEndAsync(), ProtocolJson.Options)!),
                _ => throw new PrivilegedException(ErrorCodes.UnknownOperation, "unknown command " + argv[1]),
            };
            Console.WriteLine(JsonSerializer.Serialize(result, ProtocolJson.Options));
            return 0;
        }
        catch (PrivilegedException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Code}: {e.Message}");
            return 1;
        }
        finally
        {
            if (journal is not null) await File.WriteAllLinesAsync(journal, runner.Journal!);
        }
    }

    private static async Task<FirewallStatus> AllowApiAsync(TunnelService service, uint uid, IReadOnlyList<string> endpoints)
    {
        await service.AllowApiAsync(1, uid, endpoints, CancellationToken.None);
        await Console.Out.WriteLineAsync("allowed");
        await Console.Out.FlushAsync();
        await Console.In.ReadToEndAsync();
        await service.ReleaseApiAsync(1);
        return await service.FirewallStatusAsync(CancellationToken.None);
    }

    private static async Task<FirewallStatus> RootlessExitAsync(TunnelService service, uint uid, string instance, string? endpoint)
    {
        await service.RootlessExitAsync(uid, instance, endpoint, CancellationToken.None);
        return await service.FirewallStatusAsync(CancellationToken.None);
    }

    private static async Task<FirewallStatus> AllowEndpointAsync(TunnelService service, string instance, string endpoint)
    {
        await service.UpdateAllowedEndpointAsync(instance, endpoint, CancellationToken.None);
        return await service.FirewallStatusAsync(CancellationToken.None);
    }

    private static async Task<FirewallStatus> RestoreAsync(TunnelService service)
    {
        await service.RestoreFirewallAsync(CancellationToken.None);
        return await service.FirewallStatusAsync(CancellationToken.None);
    }

    /// <summary>
    /// As the socket daemon does it, with a clock the test moves: the first stdin line is the up arguments
    /// (one line of JSON), then each line a command: <c>jump SECONDS</c> (a suspend of that long, fed to the
    /// supervisor's clock), <c>inspect</c> (prints the instance's TunnelInfo), <c>down</c> (takes it down and ends).
    /// Prints <c>up</c> and the TunnelInfo once the exit is up.
    /// </summary>
    private static async Task<TunnelDownResult> SuperviseAsync(TunnelService service)
    {
        var clock = new JumpableClock();
        service.SupervisorClock = clock;
        await service.SuperviseAsync(new NoLease(), line => Console.Error.WriteLine(line), CancellationToken.None);
        var args = JsonSerializer.Deserialize<TunnelUpArgs>(Console.ReadLine()!, ProtocolJson.Options)!;
        var info = await service.UpAsync(args, CallerIdentity.Root, CancellationToken.None);
        Console.WriteLine("up " + JsonSerializer.Serialize(info, ProtocolJson.Options));
        while (Console.ReadLine() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            if (words[0] == "jump") clock.Suspend(TimeSpan.FromSeconds(double.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture)));
            else if (words[0] == "inspect")
                Console.WriteLine(JsonSerializer.Serialize(await service.InspectAsync(args.Instance, CancellationToken.None), ProtocolJson.Options));
            else if (words[0] == "down") break;
        }
        return new TunnelDownResult { Instance = args.Instance, WasUp = await service.DownAsync(args.Instance, CancellationToken.None) };
    }

    private sealed class NoLease : Tunmux.Privileged.Tunnels.Supervision.IDaemonLease
    {
        public void Acquire() { }
        public void Release() { }
    }

    /// <summary>The machine's clocks, with suspends the test makes up: boottime runs ahead, the monotonic clock does not.</summary>
    private sealed class JumpableClock : Tunmux.Privileged.Tunnels.Supervision.ISupervisorClock
    {
        private long _sleptTicks;
        public TimeSpan Monotonic => Tunmux.Privileged.Tunnels.Supervision.SystemClock.Instance.Monotonic;
        public TimeSpan Boottime => Tunmux.Privileged.Tunnels.Supervision.SystemClock.Instance.Boottime + TimeSpan.FromTicks(Interlocked.Read(ref _sleptTicks));
        public DateTimeOffset UtcNow => DateTimeOffset.UtcNow;
        public void Suspend(TimeSpan t) => Interlocked.Add(ref _sleptTicks, t.Ticks);
        public Task Delay(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);
    }

    /// <summary>
    /// As a resident daemon sees it: RUNS times, up (args on stdin), first successful request
    /// through the namespace (curl inside it), down; milliseconds per run, the first one included (cold).
    /// </summary>
    private static async Task<List<long>> BenchAsync(TunnelService service, ProcessRunner runner, string url, int runs)
    {
        var args = JsonSerializer.Deserialize<TunnelUpArgs>(await Console.In.ReadToEndAsync(), ProtocolJson.Options)!;
        var ns = Tunmux.Privileged.Naming.InstanceNames.Namespace(args.Instance);
        var times = new List<long>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            await service.UpAsync(args, CallerIdentity.Root, CancellationToken.None);
            while (!(await runner.RunAsync("ip", ["netns", "exec", ns, "curl", "-s", "-m", "1", "-o", "/dev/null", url])).Succeeded) { }
            times.Add(sw.ElapsedMilliseconds);
            await service.DownAsync(args.Instance, CancellationToken.None);
            await Task.Delay(200);
        }
        return times;
    }
}

/// <summary>
/// Stands in for the real proxy runtime: a long-lived process started inside the VPN namespace,
/// recorded in the proxy PID file, so the tunnel code's start/stop/liveness paths are exercised.
/// </summary>
public sealed class SleepingProxyLauncher(PrivilegedPaths paths) : IProxyLauncher
{
    public Task<int> StartAsync(ProxyLaunchSpec spec, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "netns", "exec", spec.Namespace, "sleep", "infinity" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Directory.CreateDirectory(paths.ProxyDir);
        File.WriteAllText(paths.ProxyPidFile(spec.Instance), p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Task.FromResult(p.Id);
    }

    public int? RunningPid(string instance)
    {
        var file = paths.ProxyPidFile(instance);
        return File.Exists(file) && int.TryParse(File.ReadAllText(file), out var pid) && Directory.Exists($"/proc/{pid}") ? pid : null;
    }

    public Task StopAsync(string instance, CancellationToken cancellationToken)
    {
        var file = paths.ProxyPidFile(instance);
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file), out var pid))
        {
            try { using var p = Process.GetProcessById(pid); p.Kill(); p.WaitForExit(2000); }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
            File.Delete(file);
        }
        return Task.CompletedTask;
    }
}
