using System.Diagnostics;
using System.Globalization;

namespace Tunmux.TestSupport.Users;

/// <summary>
/// The system commands that make and remove the real accounts tests run as (useradd, groupadd, id,
/// pkill, userdel), run directly with their arguments as a list: one way for every fixture that needs
/// a local user, so they all create and clean up alike.
/// </summary>
public static class UserAdmin
{
    /// <summary>Runs <paramref name="file"/> and returns its standard output; a non-zero exit throws with its standard error.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        // Both pipes drained at once: a command that fills one while we wait on the other would never end.
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr.Trim()}");
        return stdout.Result;
    }

    /// <summary>Runs a cleanup command whose failure changes nothing (the thing may already be gone, or the tool missing).</summary>
    public static void TryRun(string file, params string[] args)
    {
        try { Run(file, args); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    /// <summary>A system-style user without a home folder or a login shell; <paramref name="extra"/> names its groups (<c>-g</c>, <c>-G</c>).</summary>
    public static void AddUser(string name, params string[] extra) =>
        Run("useradd", ["-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", .. extra, name]);

    public static uint Uid(string name) => uint.Parse(Run("id", "-u", name).Trim(), CultureInfo.InvariantCulture);

    public static uint Gid(string name) => uint.Parse(Run("id", "-g", name).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Ends every process of the user, then removes it.</summary>
    public static void RemoveUser(string name)
    {
        TryRun("pkill", "-KILL", "-u", name);
        TryRun("userdel", "-f", name);
    }
}
