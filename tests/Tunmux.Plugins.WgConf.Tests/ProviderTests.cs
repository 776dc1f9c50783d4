using System.Text.Json;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Plugins.WgConf.Config;
using Tunmux.Plugins.WgConf.Profiles;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.WgConf.Tests;

[TestFixture]
public sealed class ProviderTests
{
    private TempDir _dir = null!;
    private TestProviderContext _context = null!;
    private WgConfProvider _provider = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("tunmux-wgconf-");
        _context = new TestProviderContext();
        _provider = new WgConfProvider();
        _provider.Initialize(_context);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string WriteConfig(string name, string text)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The words of <c>--name=value</c> flags (the joined form keeps values such as <c>-x</c> values).</summary>
    private static string[] Options(params (string Name, string Value)[] values) =>
        values.Select(v => $"--{v.Name}={v.Value}").ToArray();

    private Task<int> Verb(string verb, string[] words, bool json = false) =>
        _provider.RunVerbAsync(VerbLines.Invocation(_provider, verb, json ? [.. words, "--json"] : words), default);

    private Task<ConnectPlan> Connect(string[] words, string? server = null) =>
        _provider.PrepareConnectAsync(new ConnectRequest { Options = VerbLines.Options<WgConfConnectOptions>(words), ServerName = server }, default);

    [Test]
    public void DescribesItsVerbsAndHasNoAccount()
    {
        var spec = _provider.Describe();
        Assert.That(_provider.Name, Is.EqualTo("wgconf"));
        Assert.That(spec.UnsupportedStandardVerbs, Is.EquivalentTo(new[] { "login", "logout", "info" }));
        Assert.That(spec.Verbs, Is.EqualTo(new[] { typeof(SaveOptions), typeof(ListOptions), typeof(RemoveOptions) }));
        Assert.That(typeof(ListOptions).IsSubclassOf(typeof(JsonVerbOptions)), Is.True, "list prints JSON");
        Assert.That(spec.Connect, Is.EqualTo(typeof(WgConfConnectOptions)));
        var connect = VerbLines.Options<WgConfConnectOptions>("-f", "a.conf", "-p", "home", "--save-as", "work");
        Assert.That((connect.File, connect.Profile, connect.SaveAs), Is.EqualTo(("a.conf", "home", "work")));
    }

    [Test]
    public async Task ConnectWithAFileNamesTheServerAfterTheFile()
    {
        var file = WriteConfig("lab-exit1.conf", Keys.Config());
        var plan = await Connect(Options(("file", file)));
        Assert.That(plan.Server.Name, Is.EqualTo("lab-exit1"));
        Assert.That(plan.Profile.Peers[0].Endpoint, Is.EqualTo("198.18.1.2:51820"));
        Assert.That(_context.Logger.Secrets, Does.Contain(Keys.Private));
        Assert.That(_context.Store.Items, Is.Empty, "a plain --file connect stores nothing");
    }

    [Test]
    public async Task SaveListConnectByProfileAndRemove()
    {
        var file = WriteConfig("wg0.conf", Keys.Config());
        Assert.That(await Verb("save", Options(("file", file), ("name", "home"))), Is.EqualTo(0));
        Assert.That(_context.Io.OutWriter.ToString(), Does.Contain("saved profile home (endpoint 198.18.1.2:51820) in memory"));
        Assert.That(_context.Store.Items.Keys, Is.EquivalentTo(new[] { "profile-home.conf", "profiles.json" }));
        Assert.That(_context.Store.Items["profiles.json"], Does.Not.Contain(Keys.Private), "the index holds no secrets");

        _context.Io.OutWriter.GetStringBuilder().Clear();
        await Verb("list", Options());
        Assert.That(_context.Io.OutWriter.ToString(), Does.Contain("home\t198.18.1.2:51820\t10.2.0.2/32"));
        Assert.That(_context.Io.OutWriter.ToString(), Does.Not.Contain(Keys.Private));

        _context.Io.OutWriter.GetStringBuilder().Clear();
        await Verb("list", Options(), json: true);
        using (var doc = JsonDocument.Parse(_context.Io.OutWriter.ToString()))
        {
            var first = doc.RootElement[0];
            Assert.That(first.GetProperty("name").GetString(), Is.EqualTo("home"));
            Assert.That(first.GetProperty("endpoint").GetString(), Is.EqualTo("198.18.1.2:51820"));
            Assert.That(first.GetProperty("addresses")[0].GetString(), Is.EqualTo("10.2.0.2/32"));
            Assert.That(first.TryGetProperty("saved_at", out _), Is.True);
        }

        var servers = await _provider.ListServersAsync(new ServerQuery { Options = new ServersOptions() }, default);
        Assert.That(servers.Select(s => s.Name), Is.EqualTo(new[] { "home" }));
        Assert.That(servers[0].Extra, Does.Contain(new KeyValuePair<string, string>("Endpoint", "198.18.1.2:51820")));
        Assert.That(await _provider.ListServersAsync(new ServerQuery { Country = "us", Options = new ServersOptions() }, default), Is.Empty);

        var plan = await Connect(Options(("profile", "home")));
        Assert.That(plan.Server.Name, Is.EqualTo("home"));
        Assert.That(plan.Profile.PrivateKey, Is.EqualTo(Keys.Private));
        Assert.That((await Connect(Options(), server: "home")).Server.Name, Is.EqualTo("home"), "the server name works as the profile name");

        Assert.That(await Verb("remove", ["home"]), Is.EqualTo(0));
        Assert.That(_context.Store.Items.Keys, Is.EquivalentTo(new[] { "profiles.json" }));
        Assert.That(await new ProfileStore(_context.Store).ListAsync(default), Is.Empty);
        var gone = Assert.ThrowsAsync<ProviderException>(() => Connect(Options(("profile", "home"))));
        Assert.That(gone!.Message, Does.Contain("no saved profile named 'home'"));
        var again = Assert.ThrowsAsync<ProviderException>(() => Verb("remove", ["home"]));
        Assert.That(again!.Message, Does.Contain("no saved profile named 'home'"));
    }

    [Test]
    public async Task ConnectWithSaveAsSavesThenNamesTheServerAfterTheProfile()
    {
        var file = WriteConfig("downloaded.conf", Keys.Config());
        var plan = await Connect(Options(("file", file), ("save-as", "work")));
        Assert.That(plan.Server.Name, Is.EqualTo("work"));
        Assert.That(_context.Store.Items.ContainsKey("profile-work.conf"), Is.True);
        Assert.That((await Connect(Options(("profile", "work")))).Profile.Peers[0].AllowedIps, Is.EqualTo(new[] { "0.0.0.0/0", "::/0" }));
    }

    [Test]
    public async Task SavingAnExistingNameIsRefused()
    {
        var file = WriteConfig("wg0.conf", Keys.Config());
        await Verb("save", Options(("file", file), ("name", "home")));
        var e = Assert.ThrowsAsync<ProviderException>(() => Verb("save", Options(("file", file), ("name", "home"))));
        Assert.That(e!.Message, Does.Contain("a profile named 'home' exists; remove it first"));
    }

    [Test]
    public void AMalformedConfigSavesNothing()
    {
        var file = WriteConfig("broken.conf", Keys.Config("198.18.1.2"));
        var e = Assert.ThrowsAsync<WireGuardConfigException>(() => Verb("save", Options(("file", file), ("name", "broken"))));
        Assert.That(e!.Message, Does.StartWith(file + ":8: Endpoint '198.18.1.2' has no port"));
        Assert.ThrowsAsync<WireGuardConfigException>(() => Connect(Options(("file", file), ("save-as", "broken"))));
        Assert.That(_context.Store.Writes, Is.Zero);
    }

    [TestCase("Home")]
    [TestCase("-x")]
    [TestCase("a/b")]
    [TestCase("with space")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456")]
    public void BadProfileNamesAreRefused(string name)
    {
        var file = WriteConfig("wg0.conf", Keys.Config());
        var e = Assert.ThrowsAsync<ProviderException>(() => Verb("save", Options(("file", file), ("name", name))));
        Assert.That(e!.Message, Does.Contain($"profile name '{name}' is invalid"));
        Assert.That(_context.Store.Writes, Is.Zero);
    }

    [Test]
    public void ConnectNeedsExactlyOneSource()
    {
        var file = WriteConfig("wg0.conf", Keys.Config());
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Connect(Options()))!.Message, Does.Contain("nothing to connect to"));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Connect(Options(("file", file), ("profile", "home"))))!.Message, Does.Contain("not both"));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Connect(Options(("save-as", "x"))))!.Message, Does.Contain("--save-as needs --file"));
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Connect(Options(("profile", "a")), server: "b"))!.Message, Does.Contain("give one"));
    }

    [Test]
    public void IgnoredKeysAreLoggedAsWarnings()
    {
        var file = WriteConfig("wg0.conf", Keys.Config().Replace("DNS = 10.2.0.1", "Table = off"));
        Assert.DoesNotThrowAsync(() => Connect(Options(("file", file))));
        Assert.That(_context.Logger.Lines, Has.Some.EqualTo($"WRN {file}:4: Table is ignored; tunmux manages routing itself"));
    }

    [Test]
    public void AccountVerbsExplainThemselves()
    {
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => _provider.LoginAsync(new LoginRequest { Username = "u", Options = new LoginOptions() }, default))!.Message,
            Does.Contain("config files have no account"));
        Assert.ThrowsAsync<ProviderException>(() => _provider.LogoutAsync(default));
        Assert.ThrowsAsync<ProviderException>(() => _provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, default));
    }

    [Test]
    public async Task ADamagedSavedProfileIsReportedNotUsed()
    {
        var file = WriteConfig("wg0.conf", Keys.Config());
        await Verb("save", Options(("file", file), ("name", "home")));
        _context.Store.Items["profile-home.conf"] = "[Interface]\n";
        var e = Assert.ThrowsAsync<WireGuardConfigException>(() => Connect(Options(("profile", "home"))));
        Assert.That(e!.Message, Does.StartWith("profile home:1: [Interface] has no PrivateKey"));
    }

    [Test]
    public async Task EmptyListSaysHowToSave()
    {
        await Verb("list", Options());
        Assert.That(_context.Io.OutWriter.ToString(), Does.Contain("no saved profiles"));
        await Verb("list", Options(), json: true);
        Assert.That(_context.Io.OutWriter.ToString(), Does.Contain("[]"));
    }
}
