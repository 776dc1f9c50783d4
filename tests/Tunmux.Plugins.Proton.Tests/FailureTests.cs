using Tunmux.Fakes.Kit;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Plugins.Proton.Api;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class FailureTests : ProtonFixture
{
    [Test]
    public void Server_error_during_login_is_clear_and_writes_nothing()
    {
        Api.InjectFault("/auth/v4/info", 503, times: 3);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(Plain));
        Assert.That(ex!.Message, Is.EqualTo("the Proton API failed on /auth/v4/info (HTTP 503 after 3 tries); try again later"));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [Test]
    public void Timeout_during_login_is_clear_and_writes_nothing()
    {
        Context.HttpTimeout = TimeSpan.FromMilliseconds(500);
        Provider = NewProviderOn(Context);
        // A timeout is sent once more; the second one is the end.
        Api.InjectFault("/vpn/v1/certificate", 200, TimeSpan.FromSeconds(3), times: 2);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(Plain));
        Assert.That(ex!.Message, Does.StartWith("the Proton API at").And.Contain("did not answer within 0 s (/vpn/v1/certificate)").Or.Contain("did not answer within 1 s (/vpn/v1/certificate)"));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [Test]
    public void Server_error_on_refresh_leaves_no_manifest()
    {
        Api.InjectFault("/vpn/v1/logicals", 500);
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.ListServersAsync(new ServerQuery { Refresh = true, Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("HTTP 500"));
        Assert.That(Directory.GetFiles(Context.CacheDirectory), Is.Empty);
    }

    [Test]
    public void Garbage_server_list_is_not_cached()
    {
        Api.LogicalsJson = "{\"Code\":1000,\"LogicalServers\":[{\"Name\":"u8.ToArray();
        Assert.ThrowsAsync<ProviderException>(() => Provider.ListServersAsync(new ServerQuery { Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None));
        Assert.That(Directory.GetFiles(Context.CacheDirectory), Is.Empty);
    }

    [Test]
    public void Unreachable_api_is_clear()
    {
        Context.ConfigValues["api_url"] = "http://127.0.0.1:9/";
        Provider = NewProviderOn(Context);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(Plain));
        Assert.That(ex!.Message, Does.StartWith("cannot reach the Proton API at http://127.0.0.1:9/"));
    }

    [Test]
    public void Proton_error_codes_become_advice()
    {
        Assert.That(ProtonErrors.FromCode(9001, 422, "Human verification required", "/auth/v4").Message, Does.Contain("human verification"));
        Assert.That(ProtonErrors.FromCode(5003, 400, "App version bad", "/auth/v4").Message, Does.Contain("update tunmux"));
        Assert.That(ProtonErrors.FromCode(12345, 422, "Odd", "/x").Message, Is.EqualTo("the Proton API refused /x: code 12345 (Odd)"));
    }

    [TestCase("https://vpn-api.proton.me", "https://vpn-api.proton.me/")]
    [TestCase("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/")]
    [TestCase("http://localhost:1", "http://localhost:1/")]
    [TestCase("http://[::1]:5/", "http://[::1]:5/")]
    public void Api_url_accepts_https_and_loopback_http(string url, string expected)
    {
        var config = new Fakes.Kit.PluginTestContext.DictionaryConfig(new() { ["api_url"] = url });
        Assert.That(ApiBase.Resolve(config, null).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void Api_url_refuses_plain_http_elsewhere_and_env_wins()
    {
        var config = new Fakes.Kit.PluginTestContext.DictionaryConfig(new() { ["api_url"] = "http://198.18.0.1/" });
        var ex = Assert.Throws<ProviderException>(() => ApiBase.Resolve(config, null));
        Assert.That(ex!.Message, Does.Contain("only https is allowed except on loopback"));
        Assert.That(ApiBase.Resolve(config, "https://example.test").Host, Is.EqualTo("example.test"));
        Assert.That(ApiBase.Resolve(new Fakes.Kit.PluginTestContext.DictionaryConfig(new()), null).ToString(), Is.EqualTo(ApiBase.Default));
    }
}
