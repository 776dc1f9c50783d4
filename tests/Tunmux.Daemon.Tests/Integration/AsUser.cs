using Tunmux.TestSupport.Lab;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>Programs run as one of the test accounts in the lab's host stand-in, where the daemon under test runs.</summary>
internal static class AsUser
{
    /// <summary>Runs <paramref name="file"/> as <paramref name="user"/> (its primary group and supplementary groups).</summary>
    public static LabResult Run(Lab lab, string user, string file, IReadOnlyList<string> args, int timeoutMs = 60_000) =>
        Lab.Run("nsenter", ["--net=/run/netns/" + lab.HostNamespace, "setpriv", "--reuid", user,
            "--regid", TestAccounts.PrimaryGroupName(user), "--init-groups", file, .. args], timeoutMs: timeoutMs);

    /// <summary>curl as <paramref name="user"/>; the body, or "error: ..." when curl failed.</summary>
    public static string Curl(Lab lab, string user, params string[] args)
    {
        var r = Run(lab, user, "curl", ["-sS", "-m", "5", .. args]);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    /// <summary>The lab's what-is-my-IP through a SOCKS5 proxy on the host's loopback.</summary>
    public static string ThroughSocks(Lab lab, string user, int port) => Curl(lab, user, "--socks5-hostname", $"127.0.0.1:{port}", lab.WhoamiUrl);

    /// <summary>The lab's what-is-my-IP through an HTTP proxy on the host's loopback.</summary>
    public static string ThroughHttp(Lab lab, string user, int port) => Curl(lab, user, "-x", $"http://127.0.0.1:{port}", lab.WhoamiUrl);
}
