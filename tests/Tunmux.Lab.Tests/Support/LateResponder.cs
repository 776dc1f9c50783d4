using System.Diagnostics;
using System.Globalization;
using Tunmux.TestSupport.Lab;

namespace Tunmux.LabTests.Support;

/// <summary>
/// <c>late-responder.py</c> in a lab VPN server's namespace: the server answers ICMP echo and the UDP
/// latency probe after a delay, as a far-away server would (the kernel has no netem). The kernel's own
/// echo replies are off in that namespace meanwhile. Dispose ends the responder by its PID and turns
/// the kernel's echo replies back on.
/// </summary>
public sealed class LateResponder : IDisposable
{
    private readonly Process _process;
    private readonly NamespaceSysctl _echoIgnored;
    private readonly List<string> _probes = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LateResponder(Process process, NamespaceSysctl echoIgnored)
    {
        _process = process;
        _echoIgnored = echoIgnored;
    }

    public int Pid => _process.Id;

    /// <summary>The probes received so far, one per line: <c>icmp SOURCE</c> or <c>udp SOURCE</c>.</summary>
    public IReadOnlyList<string> Probes { get { lock (_probes) return [.. _probes]; } }

    public static LateResponder Start(string ns, TimeSpan delay)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Support", "late-responder.py");
        var echoIgnored = new NamespaceSysctl(ns, "net.ipv4.icmp_echo_ignore_all", "1");
        var psi = new ProcessStartInfo("nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // nsenter execs python3, so the PID we hold is the responder itself.
        foreach (var a in (IEnumerable<string>)["--net=/run/netns/" + ns, "python3", "-u", script, ((int)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)])
            psi.ArgumentList.Add(a);
        LateResponder responder;
        try
        {
            responder = new LateResponder(Process.Start(psi)!, echoIgnored);
        }
        catch
        {
            echoIgnored.Dispose();
            throw;
        }
        responder._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { responder._ready.TrySetException(new InvalidOperationException("late responder exited: " + responder.Stderr)); return; }
            if (e.Data.Trim() == "ready") responder._ready.TrySetResult();
            else lock (responder._probes) responder._probes.Add(e.Data.Trim());
        };
        responder._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (responder._stderr) responder._stderr.AppendLine(e.Data); };
        responder._process.BeginOutputReadLine();
        responder._process.BeginErrorReadLine();
        try
        {
            if (!responder._ready.Task.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("late responder did not start: " + responder.Stderr);
        }
        catch
        {
            responder.Dispose();
            throw;
        }
        return responder;
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Lab.Run("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
                if (!_process.WaitForExit(5000))
                {
                    Lab.Run("kill", ["-KILL", Pid.ToString(CultureInfo.InvariantCulture)]);
                    _process.WaitForExit(5000);
                }
            }
        }
        finally
        {
            _process.Dispose();
            _echoIgnored.Dispose();
        }
    }
}
