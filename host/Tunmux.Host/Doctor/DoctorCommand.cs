using Tunmux.Contracts;
using Tunmux.Host.Plugins;

namespace Tunmux.Host.Doctor;

/// <summary>
/// <c>tunmux doctor [--json]</c>: every check, one line each with its fix when something is wrong;
/// exit 0 when nothing failed (warnings included), 1 otherwise.
/// </summary>
internal sealed class DoctorCommand(TunmuxPaths paths, PluginCatalog catalog, IConsoleIO console, Machine machine)
{
    public async Task<int> RunAsync(bool json, CancellationToken ct)
    {
        var results = new List<CheckResult>();
        var system = new SystemChecks(machine);
        var setup = new SetupChecks(paths, catalog);
        var (configResult, config) = setup.Config();
        IReadOnlyList<LoadedPlugin> loaded = [];

        results.Add(await Guard("wireguard", () => Task.FromResult(system.WireGuard())));
        results.Add(await Guard("tools", () => Task.FromResult(system.Tools())));
        results.Add(await Guard("tun", () => Task.FromResult(system.Tun())));
        results.Add(await Guard("daemon", () => new DaemonCheck(machine).RunAsync(config.General, ct)));
        results.Add(await Guard("userns", () => Task.FromResult(system.UserNamespaces(config.General))));
        results.Add(await Guard("nftables", () => Task.FromResult(system.Nftables())));
        results.Add(configResult);
        results.Add(await Guard("plugins", () =>
        {
            (var result, loaded) = setup.Plugins();
            return Task.FromResult(result);
        }));
        foreach (var plugin in loaded)
            results.Add(await Guard("session:" + plugin.Candidate.Name, () => setup.SessionAsync(plugin, config, ct)));
        results.Add(await Guard("clock", () => Task.FromResult(system.Clock())));

        if (json)
        {
            console.WriteJson(new
            {
                ok = results.All(r => r.Status != CheckStatus.Fail),
                checks = results.Select(r => new { name = r.Name, status = r.Status.ToString().ToLowerInvariant(), detail = r.Detail, fix = r.Fix }),
            });
        }
        else
        {
            var width = results.Max(r => r.Name.Length);
            foreach (var r in results) console.Out.WriteLine(Line(r, width));
        }
        return results.Any(r => r.Status == CheckStatus.Fail) ? 1 : 0;
    }

    /// <summary>A check that throws is a failed check that says what went wrong, never the end of the report.</summary>
    private static async Task<CheckResult> Guard(string name, Func<Task<CheckResult>> check)
    {
        try
        {
            return await check();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logging.LogSetup.Logger.Debug(e, "doctor check {Check}", name);
            return CheckResult.Fail(name, "the check itself failed: " + e.Message, "run 'tunmux -v doctor' for details");
        }
    }

    /// <summary><c>FAIL  tun        /dev/net/tun is missing; fix: sudo modprobe tun</c>.</summary>
    public static string Line(CheckResult r, int width)
    {
        var status = r.Status switch
        {
            CheckStatus.Ok => "ok",
            CheckStatus.Warn => "warn",
            CheckStatus.Fail => "FAIL",
            _ => "skip",
        };
        var line = $"{status,-4}  {r.Name.PadRight(width)}  {r.Detail}";
        return r.Fix is null ? line : $"{line}; fix: {r.Fix}";
    }
}
