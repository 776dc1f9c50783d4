using System.Net.Sockets;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Host.Credentials;
using Tunmux.Privileged.Processes;
using Tunmux.TestSupport;

namespace Tunmux.Credentials.Tests;

/// <summary>The keyring store against a real gnome-keyring-daemon on a private D-Bus session.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SecretServiceCredentialStoreTests
{
    private PrivateSecretService _service = null!;

    [OneTimeSetUp]
    public void StartKeyring() => _service = PrivateSecretService.Start(withKeyring: true);

    [OneTimeTearDown]
    public void StopKeyring() => _service?.Dispose();

    private SecretServiceCredentialStore Store(string provider = "proton") =>
        new(provider, _service.Address, TimeSpan.FromSeconds(10));

    [Test]
    public async Task StoresReadsOverwritesAndDeletes()
    {
        var store = Store();
        const string item = "session.json";
        Assert.That(await store.GetAsync(item, default), Is.Null);

        await store.SetAsync(item, """{"uid":"u1","access_token":"t1"}""", default);
        Assert.That(await store.GetAsync(item, default), Is.EqualTo("""{"uid":"u1","access_token":"t1"}"""));

        await store.SetAsync(item, "second ✓ value", default);
        Assert.That(await store.GetAsync(item, default), Is.EqualTo("second ✓ value"));
        Assert.That(await SecretToolAsync("search", "--all", "service", "tunmux", "provider", "proton", "item", item),
            Does.Contain("label = tunmux proton session.json").And.Not.Contain("t1"),
            "replace=true must leave one item, not two");
        Assert.That(CountOccurrences(await SecretToolAsync("search", "--all", "service", "tunmux", "provider", "proton", "item", item), "label = "), Is.EqualTo(1));

        Assert.That(await store.DeleteAsync(item, default), Is.True);
        Assert.That(await store.GetAsync(item, default), Is.Null);
        Assert.That(await store.DeleteAsync(item, default), Is.False);
    }

    [Test]
    public async Task SecretToolSeesWhatTunmuxWrote()
    {
        var store = Store("airvpn");
        await store.SetAsync("api-key", "k-123-secret", default);
        try
        {
            var lookedUp = await SecretToolAsync("lookup", "service", "tunmux", "provider", "airvpn", "item", "api-key");
            Assert.That(lookedUp, Is.EqualTo("k-123-secret"));
            var search = await SecretToolAsync("search", "service", "tunmux");
            Assert.That(search, Does.Contain("label = tunmux airvpn api-key"));
            Assert.That(search, Does.Contain("attribute.provider = airvpn"));
        }
        finally
        {
            await store.DeleteAsync("api-key", default);
        }
    }

    [Test]
    public async Task ReadsWhatSecretToolWrote()
    {
        var r = await ProcessRunner.Default.RunAsync("secret-tool",
            ["store", "--label=by hand", "service", "tunmux", "provider", "proton", "item", "by-hand"],
            stdin: "typed-value", timeout: TimeSpan.FromSeconds(10), environment: _service.Environment);
        Assert.That(r.Succeeded, Is.True, r.StandardError);
        Assert.That(await Store().GetAsync("by-hand", default), Is.EqualTo("typed-value"));
        Assert.That(await Store().DeleteAsync("by-hand", default), Is.True);
    }

    [Test]
    public async Task ProvidersDoNotSeeEachOthersItems()
    {
        await Store("proton").SetAsync("shared-name", "proton-value", default);
        try
        {
            Assert.That(await Store("airvpn").GetAsync("shared-name", default), Is.Null);
        }
        finally
        {
            await Store("proton").DeleteAsync("shared-name", default);
        }
    }

    [Test]
    public void RejectsInvalidItemNamesBeforeTouchingTheBus()
    {
        var store = new SecretServiceCredentialStore("proton", "unix:path=/nonexistent/bus", TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<CredentialStoreException>(() => store.SetAsync("../escape", "x", default));
    }

    [Test]
    public async Task SecretsCrossTheBusEncrypted()
    {
        await using var client = await SecretServiceClient.OpenAsync(_service.Address, TimeSpan.FromSeconds(10), default);
        Assert.That(client.Algorithm, Is.EqualTo("dh-ietf1024-sha256-aes128-cbc-pkcs7"));
    }

    [Test]
    public void DescriptionNamesTheKeyring() =>
        Assert.That(Store().Description, Does.StartWith("keyring"));

    private static int CountOccurrences(string text, string what) =>
        (text.Length - text.Replace(what, "").Length) / what.Length;

    private async Task<string> SecretToolAsync(params string[] args)
    {
        Requires.Command("secret-tool", "libsecret-tools");
        var r = await ProcessRunner.Default.RunAsync("secret-tool", args, timeout: TimeSpan.FromSeconds(10), environment: _service.Environment);
        Assert.That(r.Succeeded, Is.True, $"secret-tool {string.Join(' ', args)}: {r.StandardError}");
        // search prints attributes on stdout and the header lines on stderr, depending on the version.
        return (r.StandardOutput + r.StandardError).TrimEnd('\n');
    }
}

/// <summary>The clear errors: locked keyring, no Secret Service, silent bus, no bus at all.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SecretServiceFailureTests
{
    [Test]
    public async Task LockedKeyringIsOneClearErrorAndNothingIsWrittenElsewhere()
    {
        using var service = PrivateSecretService.Start(withKeyring: true);
        var store = new SecretServiceCredentialStore("proton", service.Address, TimeSpan.FromSeconds(10));
        await store.SetAsync("before-lock", "v", default);
        await service.LockDefaultCollectionAsync();

        var write = Assert.ThrowsAsync<CredentialStoreException>(() => store.SetAsync("session.json", "secret", default));
        Assert.That(write!.Message, Does.Contain("locked").And.Contain("credential_store = \"file\""));
        Assert.That(write.Message, Does.Not.Contain("secret"), "the value must not appear in the error");
        Assert.That(write.Message.Split('\n'), Has.Length.EqualTo(1));

        var read = Assert.ThrowsAsync<CredentialStoreException>(() => store.GetAsync("before-lock", default));
        Assert.That(read!.Message, Does.Contain("locked"));

        var delete = Assert.ThrowsAsync<CredentialStoreException>(() => store.DeleteAsync("before-lock", default));
        Assert.That(delete!.Message, Does.Contain("locked"));
    }

    [Test]
    public void SecretServiceThatStopsAnsweringIsOneClearErrorWithinTheTimeout()
    {
        using var service = PrivateSecretService.Start(withKeyring: true);
        var store = new SecretServiceCredentialStore("proton", service.Address, TimeSpan.FromSeconds(1));
        service.FreezeKeyring(true);
        try
        {
            var started = DateTime.UtcNow;
            var e = Assert.ThrowsAsync<CredentialStoreException>(() => store.GetAsync("session.json", default));
            Assert.That(e!.Message, Does.Contain("did not answer within 1 s").And.Contain("credential_store = \"file\""));
            Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            service.FreezeKeyring(false);
        }
    }

    [Test]
    public void AbsentSecretServiceIsOneClearError()
    {
        using var bus = PrivateSecretService.Start(withKeyring: false);
        var store = new SecretServiceCredentialStore("proton", bus.Address, TimeSpan.FromSeconds(5));
        var e = Assert.ThrowsAsync<CredentialStoreException>(() => store.GetAsync("session.json", default));
        Assert.That(e!.Message, Does.Contain("no Secret Service").And.Contain("credential_store = \"file\""));
    }

    [Test]
    public async Task SilentBusIsOneClearErrorWithinTheTimeout()
    {
        // A socket that accepts connections and never says a word: the D-Bus handshake cannot finish.
        using var dir = new TempDir("tunmux-silent-bus-");
        var path = dir.Combine("silent");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        var accepted = new List<Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await listener.AcceptAsync()); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });

        var store = new SecretServiceCredentialStore("proton", "unix:path=" + path, TimeSpan.FromSeconds(1));
        var started = DateTime.UtcNow;
        var error = Assert.ThrowsAsync<CredentialStoreException>(() => store.SetAsync("session.json", "v", default));
        var took = DateTime.UtcNow - started;
        Assert.That(error!.Message, Does.Contain("did not answer").And.Contain("credential_store = \"file\""));
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)));

        listener.Close();
        await acceptLoop;
        foreach (var s in accepted) s.Dispose();
    }

    [Test]
    public void UnreachableBusIsOneClearError()
    {
        var store = new SecretServiceCredentialStore("proton", "unix:path=/nonexistent/tunmux-test-bus", TimeSpan.FromSeconds(2));
        var e = Assert.ThrowsAsync<CredentialStoreException>(() => store.GetAsync("session.json", default));
        Assert.That(e!.Message, Does.StartWith("keyring: cannot reach the D-Bus session").And.Contain("credential_store = \"file\""));
    }

    [Test]
    public void FactoryChoosesByKind()
    {
        using var dir = new TempDir();
        var paths = new Tunmux.Host.TunmuxPaths(dir.Path, []);
        Assert.That(CredentialStoreFactory.Create("file", "proton", paths), Is.InstanceOf<FileCredentialStore>());
        Assert.That(CredentialStoreFactory.Create("keyring", "proton", paths), Is.InstanceOf<SecretServiceCredentialStore>());
        var e = Assert.Throws<CredentialStoreException>(() => CredentialStoreFactory.Create("vault", "proton", paths));
        Assert.That(e!.Message, Does.Contain("\"file\" or \"keyring\""));
        Assert.That(e, Is.InstanceOf<ProviderException>());
    }
}
