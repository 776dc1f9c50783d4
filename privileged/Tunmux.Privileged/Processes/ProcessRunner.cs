using System.Diagnostics;
using System.Text;

namespace Tunmux.Privileged.Processes;

/// <summary>The result of one finished command.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last non-empty line of stderr (or stdout), for one-line error messages.</summary>
    public string Summary
    {
        get
        {
            var text = StandardError.Trim().Length > 0 ? StandardError : StandardOutput;
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length > 0 ? lines[^1] : $"exit code {ExitCode}";
        }
    }
}

/// <summary>
/// The one way the privileged side runs a program: an argument vector (never a shell line),
/// a bounded run time, stdin fed from a string (so secrets never appear in argv), and the
/// output captured. The child is killed with its process group when the time runs out.
/// A program given by bare name is looked up in <see cref="SystemPaths"/> only (never the current
/// folder or the caller's PATH, which .NET would otherwise search), and every child gets
/// <see cref="SystemPaths.SearchPath"/> as its PATH and <c>/</c> as its working folder.
/// </summary>
public sealed class ProcessRunner : ICommandRunner
{
    public static ProcessRunner Default { get; } = new();

    /// <summary>Every command run, for tests that check an exact command sequence; null to not record.</summary>
    public List<string>? Journal { get; set; }

    public async Task<ProcessResult> RunAsync(
        string file,
        IReadOnlyList<string> args,
        string? stdin = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        lock (this) Journal?.Add(file + (args.Count > 0 ? " " + string.Join(' ', args) : ""));

        if (!Path.IsPathRooted(file))
        {
            if (SystemPaths.Find(file) is not { } found)
                return new ProcessResult(127, "", $"{file}: not installed in the system folders ({SystemPaths.SearchPath})");
            file = found;
        }
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = "/",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = SystemPaths.SearchPath;
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(127, "", $"{file}: {e.Message}");
        }

        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its exit code tells the story.
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return new ProcessResult(124, await stdout, $"{file} timed out after {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0.#} s");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and throws <see cref="InvalidOperationException"/> with the command's own last error line on failure.</summary>
    public async Task<string> RunCheckedAsync(string file, IReadOnlyList<string> args, string? stdin = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var r = await RunAsync(file, args, stdin, timeout, null, cancellationToken);
        if (!r.Succeeded)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed: {r.Summary}");
        return r.StandardOutput;
    }
}
