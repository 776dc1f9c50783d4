using Tunmux.Fakes.Ivpn;
using Tunmux.Fakes.Kit;

namespace Tunmux.Plugins.Ivpn.Tests;

/// <summary>A fake IVPN API per test, a plugin context pointed at it, and the service under test.</summary>
public abstract class IvpnFixture : FakeApiFixture<FakeIvpnApi>
{
    protected const string Account = "i-ABCD-EFGH-JKLM";
    protected const string Other = "i-NPQR-STUV-WXYZ";

    internal FakeTime Clock { get; } = new();
    private IvpnService? _service;

    internal IvpnService Service => _service ??= NewService();

    internal IvpnService NewService() => new(Context, Clock, name => Environment.GetValueOrDefault(name));

    protected override FakeIvpnApi NewFake()
    {
        var fake = new FakeIvpnApi { ServersJson = Servers().Build() };
        fake.AddAccount(Account);
        fake.AddAccount(Other);
        return fake;
    }

    protected override Dictionary<string, object> Config(Uri url) => new() { ["api_url"] = url.ToString(), ["web_url"] = url.ToString() };

    protected override void Reset()
    {
        Clock.Now = DateTimeOffset.UtcNow;
        _service = null;
    }

    /// <summary>Two Dutch hosts (one busier), one German, one Swiss.</summary>
    protected static ServersJsonBuilder Servers() => new ServersJsonBuilder()
        .Server("nl.wg.ivpn.net", "NL", "Netherlands", "Amsterdam",
            new FakeHost("nl3.wg.ivpn.net", "185.102.218.104", KeyA, "172.16.0.1") { Load = 40 },
            new FakeHost("nl4.wg.ivpn.net", "185.102.218.105", KeyB, "172.16.0.1") { Load = 12.5 })
        .Server("de.wg.ivpn.net", "DE", "Germany", "Frankfurt", new FakeHost("de1.wg.ivpn.net", "185.102.219.26", KeyC, "172.16.0.1") { Load = 30 })
        .Server("ch.wg.ivpn.net", "CH", "Switzerland", "Zurich", new FakeHost("ch1.wg.ivpn.net", "141.255.164.66", KeyA, "172.16.0.1") { Load = 5 });

    internal Task<Account.IvpnLoginOutcome> LoginAsync(string id = Account, bool force = false, string? totp = null, string? totpFile = null) =>
        Service.LoginAsync(id, force, totp, totpFile, CancellationToken.None);

    protected void AssertIdNotShown(string id = Account) => Assert.That(Context.AllOutput, Does.Not.Contain(id));
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class FakeTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
    public override DateTimeOffset GetUtcNow() => Now;
}
