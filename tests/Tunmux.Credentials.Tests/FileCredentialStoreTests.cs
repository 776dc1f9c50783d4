using System.Diagnostics;
using NUnit.Framework;
using Tunmux.Host;
using Tunmux.Host.Credentials;
using Tunmux.TestSupport;

namespace Tunmux.Credentials.Tests;

[TestFixture]
[NonParallelizable] // the SUDO_UID tests change process environment variables
public sealed class FileCredentialStoreTests
{
    private TempDir _dir = null!;
    private TunmuxPaths _paths = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        _paths = new TunmuxPaths(_dir.Combine("config", "tunmux"), []);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private FileCredentialStore Store(string provider = "proton") =>
        (FileCredentialStore)CredentialStoreFactory.Create("file", provider, _paths);

    [Test]
    public async Task StoresReadsOverwritesAndDeletes()
    {
        var store = Store();
        Assert.That(await store.GetAsync("session.json", default), Is.Null);
        await store.SetAsync("session.json", "{\"a\":1}", default);
        Assert.That(await store.GetAsync("session.json", default), Is.EqualTo("{\"a\":1}"));
        await store.SetAsync("session.json", "{\"a\":2}", default);
        Assert.That(await store.GetAsync("session.json", default), Is.EqualTo("{\"a\":2}"));
        Assert.That(File.ReadAllText(Path.Combine(_paths.ProviderDir("proton"), "session.json")), Is.EqualTo("{\"a\":2}"));
        Assert.That(await store.DeleteAsync("session.json", default), Is.True);
        Assert.That(await store.DeleteAsync("session.json", default), Is.False);
        Assert.That(await store.GetAsync("session.json", default), Is.Null);
    }

    [Test]
    public async Task FilesAre0600InFolders0700()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("needs POSIX permissions");
        var store = Store();
        await store.SetAsync("session.json", "secret", default);
        var rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.That(File.GetUnixFileMode(_paths.ProviderDir("proton")), Is.EqualTo(rwx));
        Assert.That(File.GetUnixFileMode(_paths.ConfigDir), Is.EqualTo(rwx), "a config folder created by the store is private too");
        Assert.That(File.GetUnixFileMode(store.PathOf("session.json")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public async Task TightensAnExistingWideProviderFolder()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("needs POSIX permissions");
        Directory.CreateDirectory(_paths.ProviderDir("proton"));
        File.SetUnixFileMode(_paths.ProviderDir("proton"), (UnixFileMode)0b111_101_101);
        await Store().SetAsync("session.json", "secret", default);
        Assert.That(File.GetUnixFileMode(_paths.ProviderDir("proton")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public async Task InterruptedWriteLeavesTheOldValueAndNoTemporaryFile()
    {
        var store = Store();
        await store.SetAsync("session.json", "old", default);
        string? tempSeen = null;
        store.BeforeRename = tmp =>
        {
            tempSeen = tmp;
            Assert.That(File.ReadAllText(tmp), Is.EqualTo("new"), "the new value is complete on disk before the rename");
            throw new IOException("simulated crash between write and rename");
        };
        Assert.ThrowsAsync<CredentialStoreException>(() => store.SetAsync("session.json", "new", default));
        store.BeforeRename = null;

        Assert.That(tempSeen, Is.Not.Null);
        Assert.That(Path.GetDirectoryName(tempSeen), Is.EqualTo(_paths.ProviderDir("proton")), "temporary file in the same folder (rename is atomic)");
        Assert.That(await store.GetAsync("session.json", default), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_paths.ProviderDir("proton")).Select(Path.GetFileName), Is.EquivalentTo(new[] { "session.json" }));
    }

    [Test]
    public async Task TemporaryFileLeftByAKilledProcessIsHarmless()
    {
        // What a crash (kill -9 between write and rename) leaves: a dot-named temporary file beside the item.
        var store = Store();
        await store.SetAsync("session.json", "old", default);
        var leftover = Path.Combine(_paths.ProviderDir("proton"), ".session.json.tmp-deadbeef");
        File.WriteAllText(leftover, "half-written");
        Assert.That(await store.GetAsync("session.json", default), Is.EqualTo("old"));
        await store.SetAsync("session.json", "new", default);
        Assert.That(await store.GetAsync("session.json", default), Is.EqualTo("new"));
        Assert.That(ItemNames.IsValid(Path.GetFileName(leftover)), Is.False, "temporary names can never be item names");
    }

    [TestCase("session.json")]
    [TestCase("profile-home.conf")]
    [TestCase("api_key")]
    [TestCase("a")]
    public void AcceptsPlainNames(string name) => Assert.That(ItemNames.IsValid(name), Is.True);

    [TestCase("")]
    [TestCase(".hidden")]
    [TestCase("..")]
    [TestCase("../config.toml")]
    [TestCase("a/b")]
    [TestCase("a\\b")]
    [TestCase("Session.json")]
    [TestCase("with space")]
    [TestCase("nul\0byte")]
    public void RejectsUnsafeNames(string name)
    {
        var store = Store();
        var e = Assert.ThrowsAsync<CredentialStoreException>(() => store.SetAsync(name, "x", default));
        Assert.That(e!.Message, Does.Contain("invalid"));
        Assert.ThrowsAsync<CredentialStoreException>(() => store.GetAsync(name, default));
        Assert.ThrowsAsync<CredentialStoreException>(() => store.DeleteAsync(name, default));
        Assert.That(Directory.Exists(_paths.ConfigDir), Is.False, "nothing is created for a refused name");
    }

    [Test]
    public void RejectsTooLongNames() => Assert.That(ItemNames.IsValid(new string('a', 129)), Is.False);

    [Test]
    public void RejectsUnsafeProviderNames() =>
        Assert.Throws<CredentialStoreException>(() => CredentialStoreFactory.Create("file", "../etc", _paths));

    [Test]
    public void DescriptionNamesTheFolder() =>
        Assert.That(Store().Description, Is.EqualTo("file " + _paths.ProviderDir("proton")));

    [Test]
    public async Task UnderSudoFilesBelongToTheInvokingUser()
    {
        Requires.Root("gives files to another uid (chown)");
        var (uid, gid) = NobodyIds();
        var before = (Environment.GetEnvironmentVariable("SUDO_UID"), Environment.GetEnvironmentVariable("SUDO_GID"));
        Environment.SetEnvironmentVariable("SUDO_UID", uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable("SUDO_GID", gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var store = Store();
            await store.SetAsync("session.json", "secret", default);
            await store.SetAsync("session.json", "secret2", default);
            foreach (var path in new[] { _paths.ConfigDir, _paths.ProviderDir("proton"), store.PathOf("session.json") })
                Assert.That(await OwnerAsync(path), Is.EqualTo($"{uid}:{gid}"), path);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SUDO_UID", before.Item1);
            Environment.SetEnvironmentVariable("SUDO_GID", before.Item2);
        }
    }

    [Test]
    public async Task WithoutSudoFilesBelongToTheCurrentUser()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("needs POSIX ownership");
        var before = Environment.GetEnvironmentVariable("SUDO_UID");
        Environment.SetEnvironmentVariable("SUDO_UID", null);
        try
        {
            var store = Store();
            await store.SetAsync("session.json", "secret", default);
            var me = (await RunAsync("id", "-u")).Trim() + ":" + (await RunAsync("id", "-g")).Trim();
            Assert.That(await OwnerAsync(store.PathOf("session.json")), Is.EqualTo(me));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SUDO_UID", before);
        }
    }

    private static (uint Uid, uint Gid) NobodyIds()
    {
        var line = File.ReadLines("/etc/passwd").FirstOrDefault(l => l.StartsWith("nobody:", StringComparison.Ordinal));
        if (line is null) Assert.Ignore("needs the 'nobody' user");
        var f = line!.Split(':');
        return (uint.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), uint.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<string> OwnerAsync(string path) => (await RunAsync("stat", "-c", "%u:%g", path)).Trim();

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return output;
    }
}
