using Tunmux.TestSupport.Users;
using NUnit.Framework;
using Tunmux.Rootless.Tests.Support;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Rootless.Tests;

/// <summary>Each piece a rootless exit needs, missing: one clear line naming it and the fix, and nothing started.</summary>
[TestFixture]
[NonParallelizable]
public sealed class MissingPieceTests : LabFixture
{
    protected override int Servers => 1;
    private RootlessDriver _user = null!;

    [OneTimeSetUp]
    public void Prerequisites() => RootlessUsers.Require();

    [SetUp]
    public void NewDriver() => _user = new RootlessDriver(Lab, RootlessUsers.Owner);

    private LabResult TryUp(params string[] options) =>
        _user.TryUp(RootlessDriver.Args(Lab.NewClient(1), Lab.InstanceName("mp"), 1090, 8130), options);

    private void AssertOneLine(LabResult r, params string[] expected)
    {
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        var lines = r.Error.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), "one line: " + r.Error);
        foreach (var e in expected) Assert.That(lines[0], Does.Contain(e));
        Assert.That(_user.User.Processes(), Is.Empty, () => "nothing was started: " + TestUser.Describe(_user.User.Processes()));
        var root = Path.Combine(_user.RuntimeDir, "rootless");
        Assert.That(Directory.Exists(root) && Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Any(), Is.False, "no file was written");
    }

    [Test]
    public void No_pasta_and_no_slirp4netns() =>
        AssertOneLine(TryUp("--without", "pasta", "--without", "slirp4netns"), "neither pasta nor slirp4netns", "apt install passt");

    [Test]
    public void No_wireguard_go() => AssertOneLine(TryUp("--without", "wireguard-go"), "wireguard-go is not installed", "apt install wireguard-go");

    [Test]
    public void Tun_device_not_usable_by_the_user() =>
        RootlessUsers.WithTunMode(UnixFileMode.UserRead | UnixFileMode.UserWrite,
            () => AssertOneLine(TryUp(), "/dev/net/tun is not usable by this user (mode 0600)", "chmod 0666 /dev/net/tun"));

    [Test]
    public void User_namespaces_disabled()
    {
        // The kernel setting is machine-wide; the check reads it from a copy of /proc/sys with it off.
        var procSys = FakeProcSys(("user/max_user_namespaces", "0"));
        AssertOneLine(TryUp("--proc-sys", procSys), "user namespaces are disabled", "sysctl -w user.max_user_namespaces=");
        procSys = FakeProcSys(("kernel/unprivileged_userns_clone", "0"));
        AssertOneLine(TryUp("--proc-sys", procSys), "kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1");
    }

    [Test]
    public void Ubuntu_apparmor_restriction_names_the_shipped_profile()
    {
        // This machine has no AppArmor: unshare refusing as it does there, and the restriction's setting on.
        var procSys = FakeProcSys(("kernel/apparmor_restrict_unprivileged_userns", "1"));
        var unshare = Path.Combine(_user.User.Home, "unshare-refused");
        File.WriteAllText(unshare, "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n");
        File.SetUnixFileMode(unshare, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var r = TryUp("--proc-sys", procSys, "--tool", "unshare=" + unshare);
        AssertOneLine(r, "Operation not permitted", "apparmor_restrict_unprivileged_userns = 1", "/etc/apparmor.d/tunmux", "everything was rolled back");
    }

    /// <summary>A folder shaped like /proc/sys holding only the given settings, readable by the test user.</summary>
    private string FakeProcSys(params (string Name, string Value)[] settings)
    {
        var dir = Path.Combine(_user.User.Home, "procsys-" + Guid.NewGuid().ToString("N")[..6]);
        foreach (var (name, value) in settings)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, name))!);
            File.WriteAllText(Path.Combine(dir, name), value + "\n");
        }
        LocalUsers.Run("chmod", "-R", "a+rX", dir);
        return dir;
    }
}
