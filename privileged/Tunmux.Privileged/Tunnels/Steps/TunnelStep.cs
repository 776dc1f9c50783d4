using Tunmux.Privileged.Processes;
using Tunmux.Privileged.Protocol;
using Tunmux.Privileged.Proxy;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>
/// One reversible step of bringing a tunnel up. <see cref="Undo"/> must tolerate a step that
/// was only partly done or is already undone: it runs on rollback, on <c>down</c>, and on
/// <c>down</c> after a crash, always from what the record says.
/// </summary>
internal sealed record TunnelStep(
    string Name,
    Func<TunnelContext, CancellationToken, Task> Do,
    Func<TunnelContext, CancellationToken, Task> Undo)
{
    public static Task Nothing(TunnelContext context, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Everything a step works with. Secrets live only here, in memory, for the duration of <c>up</c>.</summary>
internal sealed class TunnelContext
{
    public required TunnelRecord Record { get; init; }
    public required SystemCommands Commands { get; init; }
    public required TunnelRecordStore Store { get; init; }
    public required PrivilegedPaths Paths { get; init; }
    public required ManagedPids Pids { get; init; }
    public required IProxyLauncher ProxyLauncher { get; init; }
    public required KillSwitch KillSwitch { get; init; }

    /// <summary>True while the undos of a failed <c>up</c> run (as opposed to <c>down</c>): some things stay then.</summary>
    public bool RollingBack { get; set; }

    /// <summary>What the exit's supervisor and hooks need (keys included), saved and deleted with the record; null during <c>down</c>.</summary>
    public Supervision.ExitPlan? Plan { get; init; }
    /// <summary>Where the daemon keeps plans; null for a rootless exit, which no supervisor watches.</summary>
    public Supervision.ExitPlanStore? Plans { get; init; }

    /// <summary>Null during <c>down</c>: nothing that needs it runs then.</summary>
    public string? PrivateKey { get; init; }
    public string? PresharedKey { get; init; }
    public ProxyArgs? Proxy { get; init; }
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The handshake the handshake step saw (what <c>up</c> reports, without asking again).</summary>
    public DateTimeOffset? LatestHandshake { get; set; }

    /// <summary>Whether the interface may be a kernel WireGuard link (else only a userspace one).</summary>
    public bool KernelAllowed { get; init; } = true;

    /// <summary>The userspace implementation to use when there is no kernel link: name and command path.</summary>
    public (string Name, string Command)? Userspace { get; init; }

    /// <summary>Where the userspace implementation puts its control socket, as seen by the steps' commands.</summary>
    public string WireGuardSocketDir { get; init; } = "/var/run/wireguard";

    /// <summary>
    /// A process in the network namespace the userspace implementation runs in (a rootless exit's
    /// holder); null for this process's own. Interface names are unique only per namespace.
    /// </summary>
    public int? UserspaceNamespaceOf { get; set; }

    public SystemTools Tools => Commands.Tools;

    /// <summary>Persists the record so a crash after this point still knows what to undo.</summary>
    public void Save() => Store.Save(Record);

    /// <summary>Persists the record and, on the way up, the exit's plan.</summary>
    public void SaveWithPlan()
    {
        Save();
        if (Plan is not null) Plans?.Save(Plan);
    }

    /// <summary>Forgets the exit: its plan (private keys) first, then its record.</summary>
    public void Forget()
    {
        Plans?.Delete(Record.Instance);
        Store.Delete(Record.Instance);
    }
}
