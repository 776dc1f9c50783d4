using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;

namespace Tunmux.TestSupport;

/// <summary>
/// A real local user for tests of what the daemon does on someone's behalf, with a group of its own (the group
/// the daemon is told to let in): created with a unique name, removed on dispose with everything it ran.
/// </summary>
public sealed class LocalUser : IDisposable
{
    private LocalUser(string name, string group)
    {
        Name = name;
        Group = group;
        Uid = uint.Parse(Run("id", "-u", name).Trim(), CultureInfo.InvariantCulture);
        Gid = uint.Parse(Run("id", "-g", name).Trim(), CultureInfo.InvariantCulture);
    }

    public string Name { get; }
    public string Group { get; }
    public uint Uid { get; }
    public uint Gid { get; }

    /// <summary>Creates the user and its group (an explicit skip when that is impossible here).</summary>
    public static LocalUser Create(string prefix)
    {
        Requires.Root("creates a local user and group");
        foreach (var tool in new[] { "useradd", "userdel", "groupadd", "groupdel", "setpriv" })
            if (Requires.Which(tool) is null && !File.Exists("/usr/sbin/" + tool)) Assert.Ignore($"needs '{tool}' to create a test user");
        var suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var name = prefix + suffix;
        var group = name + "g";
        Run("groupadd", group);
        try
        {
            Run("useradd", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", "-g", group, name);
        }
        catch
        {
            TryRun("groupdel", group);
            throw;
        }
        return new LocalUser(name, group);
    }

    /// <summary>The prefix that runs a program as this user with its groups (<c>setpriv ... --</c>).</summary>
    public IReadOnlyList<string> Setpriv =>
        ["setpriv", "--reuid=" + Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--"];

    public void Dispose()
    {
        TryRun("pkill", "-KILL", "-u", Name);
        TryRun("userdel", "-f", Name);
        TryRun("groupdel", Group);
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr.Trim()}");
        return stdout;
    }

    private static void TryRun(string file, params string[] args)
    {
        try { Run(file, args); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }
}
