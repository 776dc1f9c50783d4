using NUnit.Framework;
using Tunmux.TestSupport;
using Tunmux.TestSupport.Users;

namespace Tunmux.Daemon.Tests.Integration;

/// <summary>
/// Real accounts for the authorization tests, created once per run with unique names and removed after:
/// a group, a user with it as a supplementary group, a user with it as primary group, and a user outside it.
/// Members of the group may start the daemon through sudo without a password (a sudoers drop-in, removed after).
/// </summary>
[SetUpFixture]
public sealed class TestAccounts
{
    private static readonly string Suffix = LocalUsers.NewSuffix();

    public static string Group { get; } = "tmxg" + Suffix;
    public static string Member { get; } = "tmxm" + Suffix;
    public static string PrimaryMember { get; } = "tmxp" + Suffix;
    public static string Outsider { get; } = "tmxo" + Suffix;
    public static string SudoersFile { get; } = "/etc/sudoers.d/tunmux_test_" + Suffix;

    /// <summary>Null when the accounts could not be created (not root, no useradd); the tests then skip with this reason.</summary>
    public static string? Unavailable { get; private set; } = "accounts not set up";

    private static readonly List<(string Name, uint Uid)> CreatedUsers = [];
    private static bool _groupCreated;

    public static void Require()
    {
        if (Unavailable is { } why) Assert.Ignore(why);
    }

    [OneTimeSetUp]
    public void Create()
    {
        if (!Requires.IsRoot) { Unavailable = "needs root: creates users, groups and a sudoers drop-in"; return; }
        foreach (var tool in new[] { "useradd", "groupadd", "setpriv", "sudo", "visudo" })
            if (Requires.Which(tool) is null && !File.Exists("/usr/sbin/" + tool)) { Unavailable = $"needs '{tool}'"; return; }
        try
        {
            Run("groupadd", Group);
            _groupCreated = true;
            AddUser(Member, "-G", Group);
            AddUser(PrimaryMember, "-g", Group);
            AddUser(Outsider);
            Unavailable = null;
        }
        catch (InvalidOperationException e)
        {
            Unavailable = "could not create test accounts: " + e.Message;
        }
    }

    /// <summary>Allows members of the group to run the daemon lines of <paramref name="executable"/> through sudo, as docs/privileged.md says.</summary>
    /// <param name="keepCallerPath">Also let sudo pass the caller's PATH on (no <c>secure_path</c>), as on machines whose sudoers does not set it.</param>
    public static void AllowSudo(string executable, bool keepCallerPath = false)
    {
        var lines = string.Join('\n',
            keepCallerPath ? $"Defaults:%{Group} !secure_path" : "",
            $"%{Group} ALL=(root) NOPASSWD: {executable} privileged --serve --autostarted --authorized-group {Group}",
            // sudo 1.9.10+ regular expression: the timeout's value is digits and nothing may follow it.
            $"%{Group} ALL=(root) NOPASSWD: {executable} ^privileged --serve --autostarted --authorized-group {Group} --idle-timeout-ms [0-9]+$",
            $"%{Group} ALL=(root) NOPASSWD: {executable} privileged --serve --stdio --autostarted --authorized-group {Group}",
            "");
        var tmp = SudoersFile + ".tmp";
        // sudo skips files with a '.' in their name, so the temp file is never read half-written.
        File.WriteAllText(tmp, lines);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Run("visudo", "-cf", tmp);
        File.Move(tmp, SudoersFile, overwrite: true);
    }

    public static void RevokeSudo()
    {
        File.Delete(SudoersFile);
        File.Delete(SudoersFile + ".tmp");
    }

    [OneTimeTearDown]
    public void Remove()
    {
        RevokeSudo();
        foreach (var (user, uid) in CreatedUsers)
        {
            UserAdmin.RemoveUser(user);
            // The per-user autostart lock folder.
            TryDelete($"/tmp/tunmux-{uid}");
        }
        if (_groupCreated) UserAdmin.TryRun("groupdel", Group);
    }

    public static uint Uid(string user) => UserAdmin.Uid(user);

    public static string PrimaryGroupName(string user) => Run("id", "-gn", user).Trim();

    private static void AddUser(string name, params string[] extra)
    {
        UserAdmin.AddUser(name, extra);
        CreatedUsers.Add((name, Uid(name)));
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    internal static string Run(string file, params string[] args) => UserAdmin.Run(file, args);
}
