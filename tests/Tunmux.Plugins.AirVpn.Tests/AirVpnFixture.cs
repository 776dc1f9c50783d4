using System.Security.Cryptography;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Fakes.AirVpn;
using Tunmux.TestSupport;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>A fresh fake AirVPN and a plugin pointed at it, per test.</summary>
public abstract class AirVpnFixture
{
    protected const string User = "labuser";
    protected const string Password = "labpass-Secret9";

    // Key generation is the slow part; one server key (as PEM) serves every test.
    private static readonly string ServerKeyPem = NewKeyPem();
    private RSA _serverKey = null!;

    private protected TempDir Temp = null!;
    private protected FakeAirVpn Fake = null!;
    private protected TestProviderContext Context = null!;
    private protected AirVpnProvider Provider = null!;

    protected static readonly string CastorKey = X25519.NewKeyPair().PublicKey;
    protected static readonly string AccountKey = X25519.NewKeyPair().PublicKey;

    protected virtual Catalog MakeCatalog() => new()
    {
        WgPublicKey = AccountKey,
        DnsIpv4 = "10.2.0.1",
        PresharedKeys = true,
        Accounts = [new CatalogAccount { Username = User, Password = Password, Devices = ["Default", "Laptop"] }],
        Servers =
        [
            new CatalogServer { Name = "Castor", CountryCode = "nl", Location = "Amsterdam", IpsEntry = ["198.18.10.2"], WgPublicKey = CastorKey, Bw = 2_500_000, BwMax = 1000, Users = 40, UsersMax = 250 },
            new CatalogServer { Name = "Pollux", CountryCode = "de", Location = "Frankfurt", IpsEntry = ["198.18.11.2"], Bw = 500_000, BwMax = 1000, Users = 10, UsersMax = 250 },
            new CatalogServer { Name = "Vega", CountryCode = "nl", Location = "Rotterdam", IpsEntry = ["198.18.12.2"], Bw = 100_000, BwMax = 1000, Users = 5, UsersMax = 250 },
            new CatalogServer { Name = "Mira", CountryCode = "us", Location = "Miami", IpsEntry = ["198.18.13.2"], WarningClosed = "maintenance" },
        ],
    };

    protected string PublicKeyFile => Temp.Combine("server.pub.pem");

    /// <summary>Bootstrap listeners beyond the first.</summary>
    protected virtual int ExtraBootstrapServers => 0;

    /// <summary>The clock the provider reads (manifest freshness).</summary>
    private protected ManualClock Clock = null!;

    [SetUp]
    public async Task StartFake()
    {
        Temp = new TempDir("tunmux-airvpn-test-");
        _serverKey = RSA.Create();
        _serverKey.ImportFromPem(ServerKeyPem);
        Fake = await FakeAirVpn.StartAsync(new FakeOptions { Catalog = MakeCatalog(), Key = _serverKey, ExtraBootstrapServers = ExtraBootstrapServers });
        Clock = new ManualClock();
        await File.WriteAllTextAsync(PublicKeyFile, Fake.PublicKeyPem);
        Directory.CreateDirectory(Temp.Combine("cache"));
        Context = new TestProviderContext(Temp.Combine("cache"), new Dictionary<string, object>
        {
            ["api_urls"] = new List<string> { Fake.Url },
            ["web_url"] = Fake.Url,
            ["rsa_key_file"] = PublicKeyFile,
        });
        Provider = NewProvider();
    }

    [TearDown]
    public async Task StopFake()
    {
        await Fake.DisposeAsync();
        _serverKey.Dispose();
        Temp.Dispose();
    }

    private static string NewKeyPem()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportRSAPrivateKeyPem();
    }

    private protected AirVpnProvider NewProvider()
    {
        var p = new AirVpnProvider { Time = Clock };
        p.Initialize(Context);
        return p;
    }

    protected Task LoginAsync() =>
        Provider.LoginAsync(new LoginRequest { Username = User, Password = Password, Options = new LoginOptions() }, CancellationToken.None);

    protected async Task<string> VerbAsync(string verb, params string[] tokens) => await VerbAsync(verb, false, tokens);

    protected async Task<string> VerbAsync(string verb, bool json, params string[] tokens)
    {
        Context.Io.TakeOut();
        var code = await Provider.RunVerbAsync(VerbLines.Invocation(Provider, verb, json ? [.. tokens, "--json"] : tokens), CancellationToken.None);
        Assert.That(code, Is.Zero);
        return Context.Io.TakeOut();
    }

    protected ProviderException VerbFails(string verb, params string[] tokens)
    {
        var e = Assert.ThrowsAsync<ProviderException>(() =>
            Provider.RunVerbAsync(VerbLines.Invocation(Provider, verb, tokens), CancellationToken.None))!;
        AssertOneLine(e);
        return e;
    }

    protected static void AssertOneLine(ProviderException e)
    {
        Assert.That(e.Message, Does.StartWith("airvpn: "));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    protected void AssertNoSecretInLogs()
    {
        foreach (var line in Context.Logs.Lines)
            foreach (var secret in Context.Logs.Secrets)
                Assert.That(line, Does.Not.Contain(secret), "a log line carries a secret");
        Assert.That(Context.Logs.Secrets, Does.Contain(Password));
    }

    protected FakeAccount Account => Fake.State.Find(User)!;
}

/// <summary>A clock tests move.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
    public override DateTimeOffset GetUtcNow() => Now;
}
