using Tunmux.Contracts;
using Tunmux.Fakes.Kit;
using Tunmux.Plugins.Common;
using Tunmux.Plugins.Mullvad.Relays;

namespace Tunmux.Plugins.Mullvad.Tests;

/// <summary>Every failure of the API is one line that says what failed and what to do, and leaves nothing half-written.</summary>
public sealed class FaultTests : MullvadFixture
{
    [Test]
    public void Service_unavailable_is_one_line()
    {
        Fake.InjectFault("/auth/v1/token", 503);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Is.EqualTo("the Mullvad API failed on auth/v1/token (HTTP 503); try again later"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void Rate_limiting_says_how_long_to_wait()
    {
        Fake.InjectFault("/auth/v1/token", 429, headers: new Dictionary<string, string> { ["Retry-After"] = "30" });
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("rate-limiting").And.Contain("wait 30 s"));
    }

    [Test]
    public void A_server_that_does_not_answer_in_time_is_one_line()
    {
        Context.HttpTimeout = TimeSpan.FromMilliseconds(500);
        Fake.InjectFault("/accounts/v1/devices", 200, delay: TimeSpan.FromSeconds(5));
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("did not answer within").And.Contain("accounts/v1/devices"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void An_unreachable_api_names_the_address()
    {
        Context.ConfigValues["api_url"] = "http://127.0.0.1:9/";
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.StartWith("cannot reach the Mullvad API at http://127.0.0.1:9/"));
    }

    [Test]
    public void Malformed_answers_are_one_line([Values("/auth/v1/token", "/accounts/v1/accounts/me", "/accounts/v1/devices")] string path)
    {
        Fake.InjectFault(path, kind: FaultKind.Malformed);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("the Mullvad API sent an answer tunmux cannot read").And.Contain(path.TrimStart('/')));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void A_device_answer_without_id_or_address_is_refused()
    {
        Fake.InjectFault("/accounts/v1/devices", kind: FaultKind.WrongShape);
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("sent no id or tunnel address"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public void Plain_http_is_refused_except_on_loopback()
    {
        Context.ConfigValues["api_url"] = "http://api.example.net/";
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("plain http"));
    }

    [Test]
    public async Task The_environment_variable_overrides_api_url()
    {
        var url = Context.ConfigValues["api_url"];
        Context.ConfigValues["api_url"] = "http://127.0.0.1:9/";
        Environment[Api.MullvadApi.EnvironmentVariable] = (string)url;
        var (rows, _) = await Service.ServersAsync(new RelayFilter(null, null), ServerSort.Name, false, CancellationToken.None);
        Assert.That(rows, Is.Not.Empty);
    }
}
