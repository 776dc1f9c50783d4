using Tunmux.Fakes.Kit;
using Tunmux.Fakes.Mullvad;
using Tunmux.Plugins.Mullvad;

namespace Tunmux.Plugins.Mullvad.Tests;

/// <summary>A fake Mullvad API per test, a plugin context pointed at it, and the service under test.</summary>
public abstract class MullvadFixture : FakeApiFixture<FakeMullvadApi>
{
    protected const string Account = "1234567890123456";
    protected const string Other = "6543210987654321";
    protected static readonly string KeyD = Key(4);

    private MullvadService? _service;

    internal MullvadService Service => _service ??= NewService();

    internal MullvadService NewService() => new(Context, TimeProvider.System, name => Environment.GetValueOrDefault(name), new Random(7));

    protected override FakeMullvadApi NewFake()
    {
        var fake = new FakeMullvadApi { RelaysJson = Relays().Build() };
        fake.AddAccount(Account);
        fake.AddAccount(Other);
        return fake;
    }

    protected override Dictionary<string, object> Config(Uri url) => new() { ["api_url"] = url.ToString() };

    protected override void Reset() => _service = null;

    /// <summary>Two Swedish relays in Gothenburg, one in Stockholm, one Dutch, one inactive, one kept out of country-wide choices.</summary>
    protected static RelayListBuilder Relays() => new RelayListBuilder()
        .Location("se-got", "Sweden", "Gothenburg")
        .Location("se-sto", "Sweden", "Stockholm")
        .Location("nl-ams", "Netherlands", "Amsterdam")
        .Relay(new FakeRelay("se-got-wg-001", "se-got", "185.213.154.66", KeyA) { Weight = 100 })
        .Relay(new FakeRelay("se-got-wg-002", "se-got", "185.213.154.67", KeyB) { Weight = 300, Owned = false, Provider = "M247" })
        .Relay(new FakeRelay("se-sto-wg-001", "se-sto", "185.195.233.76", KeyC) { Weight = 50 })
        .Relay(new FakeRelay("se-sto-wg-009", "se-sto", "185.195.233.79", KeyD) { IncludeInCountry = false })
        .Relay(new FakeRelay("nl-ams-wg-001", "nl-ams", "193.32.249.66", KeyA) { Weight = 100 })
        .Relay(new FakeRelay("nl-ams-wg-002", "nl-ams", "193.32.249.67", KeyB) { Active = false });

    internal Task<Account.LoginOutcome> LoginAsync(string number = Account, bool force = false, string? replace = null) =>
        Service.LoginAsync(number, force, replace, CancellationToken.None);

    /// <summary>The account number appears nowhere the user or a log could see it, whole or grouped.</summary>
    protected void AssertNumberNotShown(string number = Account)
    {
        Assert.That(Context.AllOutput, Does.Not.Contain(number));
        Assert.That(Context.AllOutput, Does.Not.Contain(MullvadService.Grouped(number)));
    }
}
