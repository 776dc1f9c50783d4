using System.Text;
using Tunmux.Fakes.Kit;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Fakes.Proton;

namespace Tunmux.Plugins.Proton.Tests;

/// <summary>A clock tests can move.</summary>
internal sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>One fake Proton API for all tests of a fixture, and a fresh provider and context per test.</summary>
public abstract class ProtonFixture
{
    public const string TotpSecret = "JBSWY3DPEHPK3PXP";
    protected static readonly FakeAccount Plain = new("alice", "correct horse", MaxTier: 2);
    protected static readonly FakeAccount WithTotp = new("bob", "b0b-pass", TotpSecret, MaxTier: 2);
    protected static readonly FakeAccount Free = new("carol", "carol-pass", MaxTier: 0);

    protected FakeProtonApi Api = null!;
    protected PluginTestContext Context = null!;
    protected ProtonProvider Provider = null!;
    internal ManualTime Clock = null!;

    /// <summary>Waits the retry policy asked for, in order (nothing sleeps in these tests).</summary>
    protected List<TimeSpan> Waits = null!;

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        Api = new FakeProtonApi { LogicalsJson = Encoding.UTF8.GetBytes(TestLogicals.Json) };
        Api.AddAccount(Plain);
        Api.AddAccount(WithTotp);
        Api.AddAccount(Free);
        await Api.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopApiAsync() => await Api.DisposeAsync();

    [SetUp]
    public void NewProvider()
    {
        Api.LogicalsJson = Encoding.UTF8.GetBytes(TestLogicals.Json);
        Context = new PluginTestContext(new Dictionary<string, object> { ["api_url"] = Api.Url!.ToString(), ["device_name"] = "test-device" }, maskSecretsInLog: false);
        Context.HttpTimeout = TimeSpan.FromSeconds(10);
        Clock = new ManualTime();
        Waits = [];
        Provider = NewProviderOn(Context);
        while (Api.Requests.TryDequeue(out _)) { }
    }

    [TearDown]
    public void DisposeContext() => Context.Dispose();

    internal ProtonProvider NewProviderOn(PluginTestContext context)
    {
        var waits = Waits;
        var provider = new ProtonProvider
        {
            Environment = _ => null,
            Time = Clock,
            Retry = new Api.RetryPolicy { Delay = (wait, _) => { lock (waits) waits.Add(wait); return Task.CompletedTask; } },
        };
        provider.Initialize(context);
        return provider;
    }

    protected Task LoginAsync(FakeAccount account, params string[] flags) =>
        Provider.LoginAsync(new LoginRequest { Username = account.Username, Password = account.Password, Options = VerbLines.Options<ProtonLoginOptions>([account.Username, .. flags]) }, CancellationToken.None);

    protected List<string> Requests() => [.. Api.Requests];

    /// <summary>A fresh account on the fake, so tests that count its certificates do not see other tests' ones.</summary>
    protected FakeAccount NewAccount(int maxTier = 2)
    {
        var account = new FakeAccount($"user{Guid.NewGuid():N}"[..16], "pw-" + Guid.NewGuid().ToString("N")[..12], MaxTier: maxTier);
        Api.AddAccount(account);
        return account;
    }

    protected string? StoredSession => Context.Store.Items.TryGetValue("session.json", out var v) ? v : null;
}
