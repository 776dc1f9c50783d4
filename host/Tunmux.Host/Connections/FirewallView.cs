using System.Text.Json;
using Tunmux.Privileged;
using Tunmux.Privileged.Naming;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Connections;

/// <summary>
/// The firewall as the daemon last left it (its world-readable status file), for <c>status</c> and <c>disconnect</c>:
/// no daemon is needed, and after a crash of the daemon the file still tells the truth, since the table outlives it.
/// </summary>
internal static class FirewallView
{
    public static FirewallStatus? Read(PrivilegedPaths paths)
    {
        // Usually there is none (no kill switch or lockdown ever set): a missing file is no exception to throw and catch,
        // and no JSON library to load (the reading is a method of its own, so status without the file never loads it).
        return File.Exists(paths.FirewallStatusFile) ? Parse(paths.FirewallStatusFile) : null;
    }

    private static FirewallStatus? Parse(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<FirewallStatus>(File.ReadAllText(file), ProtocolJson.Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>A kill switch that blocks with no direct connection behind it (a connect failed, or was interrupted).</summary>
    public static bool HeldWithoutConnection(FirewallStatus? f, bool directRecorded) =>
        f is { Active: true, KillSwitch: true } && (f.KillSwitchHeld || !directRecorded);

    /// <summary>One line for <c>status</c>: whether the kill switch and lockdown are on, and how to end what blocks.</summary>
    public static string Describe(FirewallStatus? f, bool directRecorded, bool directAlive)
    {
        if (f is not { Active: true }) return "Kill switch: off. Lockdown: off.";
        var lan = f.AllowLan ? " (LAN allowed)" : "";
        var parts = new List<string>();
        if (f.KillSwitch)
        {
            parts.Add(HeldWithoutConnection(f, directRecorded)
                ? "Kill switch: on, but no direct connection is up (a connect failed or was interrupted), so all traffic is blocked; " +
                  $"connect again, or remove it with 'tunmux disconnect {InstanceNames.Direct}'."
                : directAlive
                    ? $"Kill switch: on{lan}: nothing leaves outside the tunnel."
                    : $"Kill switch: on{lan}, and the tunnel is down, so all traffic is blocked; connect again, or remove it with 'tunmux disconnect {InstanceNames.Direct}'.");
        }
        else
        {
            parts.Add("Kill switch: off.");
        }
        parts.Add(f.Lockdown
            ? $"Lockdown: on{lan}: nothing leaves outside a tunnel, connected or not, until 'tunmux lockdown off'."
            : "Lockdown: off.");
        return string.Join(" ", parts);
    }

    public static object ToJson(FirewallStatus? f) => new
    {
        active = f?.Active ?? false,
        table = f?.Table,
        kill_switch = f?.KillSwitch ?? false,
        kill_switch_instance = f?.KillSwitchInstance,
        kill_switch_held = f?.KillSwitchHeld ?? false,
        lockdown = f?.Lockdown ?? false,
        allow_lan = f?.AllowLan ?? false,
    };
}
