using NUnit.Framework;
using Tunmux.Host.State;
using Tunmux.Host.Storage;
using Tunmux.TestSupport;

namespace Tunmux.Host.Tests;

[TestFixture]
[NonParallelizable]
public sealed class StateStoreTests
{
    private TempDir _dir = null!;
    private ConnectionStore _store = null!;
    private TunmuxPaths _paths = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        _paths = new TunmuxPaths(_dir.Combine("config"), []);
        _store = new ConnectionStore(_paths);
    }

    [TearDown]
    public void TearDown()
    {
        AtomicFile.BeforeRename = null;
        _dir.Dispose();
    }

    private static ConnectionState State(string instance, string server = "US#1") => new()
    {
        Instance = instance, Provider = "proton", Server = server, Mode = "proxy", Backend = "userspace",
        Interface = "wg-" + instance, Namespace = "tunmux_" + instance, SocksPort = 1080, HttpPort = 8118,
        ConnectedAt = DateTimeOffset.UnixEpoch,
    };

    [Test]
    public void SavedStateIsPrivateAndRoundTrips()
    {
        _store.Save(State("us-1"));
        var file = _paths.ConnectionFile("us-1");
        Assert.Multiple(() =>
        {
            Assert.That(_store.Get("us-1"), Is.EqualTo(State("us-1")));
            Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.GetUnixFileMode(_paths.ConnectionsDir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(File.ReadAllText(file), Does.Not.Contain("private"), "state never holds a private key");
        });
    }

    [Test]
    public void InterruptedWriteLeavesTheOldFileIntact()
    {
        _store.Save(State("us-1", "US#1"));
        var before = File.ReadAllBytes(_paths.ConnectionFile("us-1"));
        AtomicFile.BeforeRename = _ => throw new IOException("simulated crash before rename");

        Assert.Throws<IOException>(() => _store.Save(State("us-1", "US#2")));

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(_paths.ConnectionFile("us-1")), Is.EqualTo(before));
            Assert.That(Directory.GetFiles(_paths.ConnectionsDir), Has.Length.EqualTo(1), "no temporary file left behind");
        });
    }

    [Test]
    public void ListSkipsCorruptAndForeignFiles()
    {
        _store.Save(State("us-1"));
        _store.Save(State("_direct"));
        File.WriteAllText(Path.Combine(_paths.ConnectionsDir, "broken.json"), "{not json");
        File.WriteAllText(Path.Combine(_paths.ConnectionsDir, "Bad Name.json"), "{}");
        Assert.That(_store.List().Select(s => s.Instance), Is.EqualTo(new[] { "_direct", "us-1" }));
    }

    [Test]
    public void DeleteAndGetRefuseTraversal()
    {
        _store.Save(State("us-1"));
        _store.Delete("../config/connections/us-1");
        Assert.Multiple(() =>
        {
            Assert.That(_store.Get("us-1"), Is.Not.Null);
            Assert.That(_store.Get("../../etc/passwd"), Is.Null);
            Assert.That(() => _store.Save(State("../x")), Throws.ArgumentException);
        });
    }

    [Test]
    public void StatusMarksStaleInstances()
    {
        _store.Save(State("gone") with { ProxyPid = int.MaxValue - 1 });
        var output = new StringWriter();
        var code = new Connections.StatusCommand(_paths, new Output.ConsoleIO(output, new StringWriter(), new StringReader(""), false))
            .RunAsync(null, json: false, CancellationToken.None).GetAwaiter().GetResult();
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(output.ToString(), Does.Contain("stale: namespace gone, proxy not running"));
        });
    }
}
