using System.Globalization;
using NUnit.Framework;
using Tunmux.TestSupport.Users;

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
        Uid = UserAdmin.Uid(name);
        Gid = UserAdmin.Gid(name);
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
        var suffix = LocalUsers.NewSuffix();
        var name = prefix + suffix;
        var group = name + "g";
        UserAdmin.Run("groupadd", group);
        try
        {
            UserAdmin.AddUser(name, "-g", group);
        }
        catch
        {
            UserAdmin.TryRun("groupdel", group);
            throw;
        }
        return new LocalUser(name, group);
    }

    /// <summary>The prefix that runs a program as this user with its groups (<c>setpriv ... --</c>).</summary>
    public IReadOnlyList<string> Setpriv =>
        ["setpriv", "--reuid=" + Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--"];

    public void Dispose()
    {
        UserAdmin.RemoveUser(Name);
        UserAdmin.TryRun("groupdel", Group);
    }
}
