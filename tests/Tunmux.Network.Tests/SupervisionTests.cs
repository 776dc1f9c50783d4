using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Network.Tests;

/// <summary>
/// The supervisor on a real exit (wireguard-go, a lab server), with a clock the test moves: the tunnel console's
/// <c>supervise</c> mode runs the service as the socket daemon does, in the lab's host stand-in.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SupervisionTests : LabFixture
{
    [Test]
    public void A_resume_from_suspend_fed_to_the_supervisors_clock_forces_a_new_handshake_at_once()
    {
        var instance = Lab.InstanceName("jump");
        var args = TunnelDriver.Args(Lab.NewClient(1), instance, "proxy", proxy: new ProxyArgs { SocksPort = 1090, HttpPort = 8190 }) with
        {
            // Checks every 200 ms; nothing else would make it touch the tunnel within the test (no probe, no traffic timeout).
            Supervision = new SupervisionArgs { CheckIntervalMs = 200, IdleProbeMs = 600_000, TrafficTimeoutMs = 600_000 },
        };
        using var console = SupervisingConsole.Start(Lab, "jump", args);
        var iface = InstanceNames.Interface(instance);
        var before = LatestHandshake(iface);
        Assert.That(before, Is.Not.Null, "up waits for the first handshake");

        // Two and a half quiet seconds: no new handshake without a reason (and the next one is a second later, so it shows).
        Thread.Sleep(2500);
        Assert.That(LatestHandshake(iface), Is.EqualTo(before));
        Assert.That(console.ExitLog(), Does.Not.Contain("forcing a new handshake"));

        var jumped = Stopwatch.StartNew();
        console.Send("jump 3600");
        Wait(() => LatestHandshake(iface) > before, TimeSpan.FromSeconds(5), "a new handshake after the jump");
        Assert.Multiple(() =>
        {
            Assert.That(jumped.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)), "at once: within a check interval and a round trip");
            Assert.That(console.ExitLog(), Does.Contain("resumed after 3600 s of suspend").And.Contain("forcing a new handshake"));
            Assert.That(Lab.Whoami(InstanceNames.Namespace(instance)), Is.EqualTo(Lab.ExitAddress(1)), "and the tunnel carries traffic");
        });
        // The supervisor sees the handshake at its next poll (100 ms) and confirms it with a probe: up again right after.
        Wait(() => console.Inspect().Health!.State == "up", TimeSpan.FromSeconds(3), "the exit up again after its new handshake");
        var health = console.Inspect().Health!;
        Assert.That(health.Supervised, Is.True);
    }

    private static DateTimeOffset? LatestHandshake(string iface)
    {
        var r = Lab.Run("wg", ["show", iface, "latest-handshakes"]);
        var seconds = r.Output.Split('\t', '\n').Skip(1).FirstOrDefault();
        return long.TryParse(seconds, CultureInfo.InvariantCulture, out var s) && s > 0 ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
    }

    private static void Wait(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail("timed out waiting for " + what);
            Thread.Sleep(50);
        }
    }

    /// <summary>The tunnel console in <c>supervise</c> mode, in the host stand-in; ended (exit taken down) on dispose, by PID if need be.</summary>
    private sealed class SupervisingConsole : IDisposable
    {
        private readonly Process _process;
        private readonly TunnelDriver _driver;
        private readonly string _instance;

        private SupervisingConsole(Process process, TunnelDriver driver, string instance)
        {
            _process = process;
            _driver = driver;
            _instance = instance;
        }

        public static SupervisingConsole Start(Lab lab, string tag, TunnelUpArgs args)
        {
            var driver = TunnelDriver.InHost(lab, "supervise-" + tag);
            var psi = new ProcessStartInfo("nsenter")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--net=/run/netns/" + lab.HostNamespace, TunnelDriver.Dotnet, typeof(Program).Assembly.Location, "tunnel", "supervise" })
                psi.ArgumentList.Add(a);
            psi.Environment["TUNMUX_STATE_DIR"] = driver.StateDir;
            psi.Environment["TUNMUX_RUNTIME_DIR"] = Path.Combine(driver.StateDir, "run");
            var p = Process.Start(psi)!;
            var console = new SupervisingConsole(p, driver, args.Instance);
            try
            {
                console.Send(JsonSerializer.Serialize(args, ProtocolJson.Options));
                var line = console.ReadLine(TimeSpan.FromSeconds(30));
                if (line is null || !line.StartsWith("up ", StringComparison.Ordinal))
                    throw new InvalidOperationException("supervise did not come up: " + line + " " + p.StandardError.ReadToEnd());
                return console;
            }
            catch
            {
                console.Dispose();
                throw;
            }
        }

        public void Send(string line)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }

        public string? ReadLine(TimeSpan timeout)
        {
            var read = _process.StandardOutput.ReadLineAsync();
            return read.Wait(timeout) ? read.Result : null;
        }

        public TunnelInfo Inspect()
        {
            Send("inspect");
            return JsonSerializer.Deserialize<TunnelInfo>(ReadLine(TimeSpan.FromSeconds(10)) ?? "null", ProtocolJson.Options)
                   ?? throw new InvalidOperationException("inspect answered nothing");
        }

        public string ExitLog()
        {
            var path = Path.Combine(_driver.StateDir, "exits", _instance + ".log");
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    Send("down");
                    if (!_process.WaitForExit(20_000)) _process.Kill(entireProcessTree: true);
                }
            }
            catch (IOException) { }
            finally
            {
                // Whatever the console managed, the exit goes.
                _driver.Run(["down", _instance]);
                _process.Dispose();
            }
        }
    }
}
