using System.Diagnostics;
using System.Globalization;

namespace Tunmux.LabTests.Support;

/// <summary>
/// A fake provider API (<c>dotnet Tunmux.Fakes.X.dll ...</c>) run on 127.0.0.1 inside a lab
/// namespace, so the CLI there reaches it on its own loopback. Ready once it prints its URL;
/// ended by its PID on dispose.
/// </summary>
public sealed class FakeApi : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeApi(Process process) => _process = process;

    public string Url { get; private set; } = "";
    public int Pid => _process.Id;

    /// <summary>Standard output lines after the URL (<c>rsa_key_file=...</c>, <c>account=...</c>).</summary>
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static FakeApi Start(string netns, string assembly, IReadOnlyList<string> args, int extraLines = 0)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("fake API not built next to the tests", dll);
        var psi = new ProcessStartInfo("nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // nsenter execs dotnet, so the PID we hold is the fake itself.
        foreach (var a in (IEnumerable<string>)["--net=/run/netns/" + netns, "dotnet", dll, .. args]) psi.ArgumentList.Add(a);
        var fake = new FakeApi(Process.Start(psi)!);
        var wanted = 1 + extraLines;
        var seen = 0;
        fake._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { fake._url.TrySetException(new InvalidOperationException("fake API exited: " + fake.Stderr)); return; }
            if (seen++ == 0) fake.Url = e.Data.Trim();
            else lock (fake._lines) fake._lines.Add(e.Data.Trim());
            if (seen >= wanted) fake._url.TrySetResult(fake.Url);
        };
        fake._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (fake._stderr) fake._stderr.AppendLine(e.Data); };
        fake._process.BeginOutputReadLine();
        fake._process.BeginErrorReadLine();
        try
        {
            if (!fake._url.Task.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("fake API did not start: " + fake.Stderr);
        }
        catch
        {
            fake.Dispose();
            throw;
        }
        return fake;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Tunmux.TestSupport.Lab.Lab.Run("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
                if (!_process.WaitForExit(5000))
                {
                    Tunmux.TestSupport.Lab.Lab.Run("kill", ["-KILL", Pid.ToString(CultureInfo.InvariantCulture)]);
                    _process.WaitForExit(5000);
                }
            }
        }
        finally { _process.Dispose(); }
    }
}
