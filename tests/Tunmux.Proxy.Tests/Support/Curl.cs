using Tunmux.Privileged.Processes;

namespace Tunmux.Proxy.Tests.Support;

public static class Curl
{
    /// <summary>Runs curl with a bounded time; returns the result (stdout holds the body).</summary>
    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.Default.RunAsync("curl", ["-sS", "--max-time", "10", .. args], timeout: TimeSpan.FromSeconds(15));
}
