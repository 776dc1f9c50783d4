using NUnit.Framework;

namespace Tunmux.Fakes.Kit;

/// <summary>
/// A provider's fake API started for each test, a <see cref="PluginTestContext"/> pointed at it, and the
/// environment the provider reads; a provider's fixture says how its fake is made and configured.
/// </summary>
public abstract class FakeApiFixture<TFake> where TFake : FakeHttpServer
{
    /// <summary>Distinct WireGuard public keys for fake servers.</summary>
    protected static readonly string KeyA = Key(1);
    protected static readonly string KeyB = Key(2);
    protected static readonly string KeyC = Key(3);

    protected TFake Fake { get; private set; } = null!;
    protected PluginTestContext Context { get; private set; } = null!;
    protected Dictionary<string, string> Environment { get; } = [];

    protected string Out => Context.Terminal.OutWriter.ToString();
    protected string Err => Context.Terminal.ErrorWriter.ToString();

    /// <summary>A 32-byte key of one repeated byte, base64.</summary>
    protected static string Key(byte fill) => Convert.ToBase64String(Enumerable.Repeat(fill, 32).ToArray());

    /// <summary>The fake with its accounts and servers, not started yet.</summary>
    protected abstract TFake NewFake();

    /// <summary>The provider's config section, pointed at the fake's <paramref name="url"/>.</summary>
    protected abstract Dictionary<string, object> Config(Uri url);

    /// <summary>Resets what the provider's fixture keeps from one test to the next.</summary>
    protected virtual void Reset() { }

    [SetUp]
    public async Task StartFake()
    {
        Fake = NewFake();
        var url = await Fake.StartAsync().ConfigureAwait(false);
        Context = new PluginTestContext(Config(url));
        Environment.Clear();
        Reset();
    }

    [TearDown]
    public async Task StopFake()
    {
        await Fake.DisposeAsync().ConfigureAwait(false);
        Context.Dispose();
    }
}
