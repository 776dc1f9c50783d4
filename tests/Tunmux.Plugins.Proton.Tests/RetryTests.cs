using System.Runtime.InteropServices;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Api;

namespace Tunmux.Plugins.Proton.Tests;

/// <summary>Busy answers (429/503 with Retry-After, 409 on refresh) and timeouts ridden out within bounds, as go-proton-api does.</summary>
public sealed class RetryTests : ProtonFixture
{
    private Task<AccountInfo> InfoAsync() => Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);

    private int Count(string request) => Requests().Count(r => r == request);

    [Test]
    public async Task A_503_with_retry_after_is_waited_out_and_the_call_succeeds()
    {
        await LoginAsync(Plain);
        Waits.Clear();
        while (Api.Requests.TryDequeue(out _)) { }
        Api.InjectFault("/vpn/v2", 503, retryAfterSeconds: 2);

        var info = await InfoAsync();

        Assert.That(info.Plan, Is.EqualTo("VPN Plus"));
        Assert.That(Waits, Is.EqualTo(new[] { TimeSpan.FromSeconds(2) }));
        Assert.That(Count("GET /vpn/v2"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_429_without_retry_after_waits_the_default_and_succeeds()
    {
        await LoginAsync(Plain);
        Waits.Clear();
        Api.InjectFault("/vpn/v2", 429, times: 2);
        await InfoAsync();
        Assert.That(Waits, Is.EqualTo(new[] { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5) }));
    }

    [Test]
    public async Task Three_busy_answers_end_in_one_line_after_three_tries()
    {
        await LoginAsync(Plain);
        Waits.Clear();
        while (Api.Requests.TryDequeue(out _)) { }
        Api.InjectFault("/vpn/v2", 429, times: 3, retryAfterSeconds: 1);

        var ex = Assert.ThrowsAsync<ProviderException>(InfoAsync);

        Assert.That(ex!.Message, Is.EqualTo("the Proton API is rate-limiting this client (HTTP 429 after 3 tries) and asks to wait 1 s; try again then"));
        Assert.That(Count("GET /vpn/v2"), Is.EqualTo(3));
        Assert.That(Waits, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_wait_beyond_thirty_seconds_in_all_is_not_waited()
    {
        await LoginAsync(Plain);
        Waits.Clear();
        while (Api.Requests.TryDequeue(out _)) { }
        Api.InjectFault("/vpn/v2", 503, times: 3, retryAfterSeconds: 20);

        var ex = Assert.ThrowsAsync<ProviderException>(InfoAsync);

        // 20 s is waited once; a second 20 s would pass 30 s in all.
        Assert.That(Waits, Is.EqualTo(new[] { TimeSpan.FromSeconds(20) }));
        Assert.That(Count("GET /vpn/v2"), Is.EqualTo(2));
        Assert.That(ex!.Message, Is.EqualTo("the Proton API failed on /vpn/v2 (HTTP 503 after 2 tries); try again later"));
        Api.InjectFault("/vpn/v2", 503, times: 0);
    }

    [Test]
    public async Task A_retry_after_longer_than_the_budget_fails_at_once_naming_the_wait()
    {
        await LoginAsync(Plain);
        Waits.Clear();
        Api.InjectFault("/vpn/v2", 429, retryAfterSeconds: 120);
        var ex = Assert.ThrowsAsync<ProviderException>(InfoAsync);
        Assert.That(ex!.Message, Is.EqualTo("the Proton API is rate-limiting this client (HTTP 429) and asks to wait 120 s; try again then"));
        Assert.That(Waits, Is.Empty);
    }

    [Test]
    public async Task A_timeout_is_sent_once_more()
    {
        Context.HttpTimeout = TimeSpan.FromMilliseconds(700);
        Provider = NewProviderOn(Context);
        await LoginAsync(Plain);
        while (Api.Requests.TryDequeue(out _)) { }
        Api.InjectFault("/vpn/v2", 200, TimeSpan.FromSeconds(3));

        var info = await InfoAsync();

        Assert.That(info.Username, Is.EqualTo("alice"));
        Assert.That(Count("GET /vpn/v2"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_refresh_answered_409_is_retried()
    {
        await LoginAsync(Plain);
        Api.ExpireAccessTokens();
        while (Api.Requests.TryDequeue(out _)) { }
        Api.InjectFault("/auth/v4/refresh", 409, retryAfterSeconds: 1);

        var info = await InfoAsync();

        Assert.That(info.Plan, Is.EqualTo("VPN Plus"));
        Assert.That(Count("POST /auth/v4/refresh"), Is.EqualTo(2));
        Assert.That(Waits, Does.Contain(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task A_refresh_that_stays_busy_keeps_the_session_and_does_not_ask_to_log_in()
    {
        await LoginAsync(Plain);
        Api.ExpireAccessTokens();
        var stored = StoredSession;
        Api.InjectFault("/auth/v4/refresh", 503, times: 3, retryAfterSeconds: 1);

        var ex = Assert.ThrowsAsync<ProviderException>(InfoAsync);

        Assert.That(ex!.Message, Is.EqualTo("could not refresh the Proton session (HTTP 503 after 3 tries); it is kept; try again later"));
        Assert.That(StoredSession, Is.EqualTo(stored));
        // Once the API answers again, the same session works.
        Assert.That((await InfoAsync()).Plan, Is.EqualTo("VPN Plus"));
    }

    [TestCase(400)]
    [TestCase(422)]
    public async Task Only_400_and_422_on_refresh_mean_log_in_again(int status)
    {
        await LoginAsync(Plain);
        Api.ExpireAccessTokens();
        Api.InjectFault("/auth/v4/refresh", status);
        var ex = Assert.ThrowsAsync<ProviderException>(InfoAsync);
        Assert.That(ex!.Message, Does.Contain("log in again"));
    }

    [Test]
    public async Task Every_request_names_the_real_architecture()
    {
        await LoginAsync(Plain);
        var expected = $"linux-vpn-cli@{ProtonApiClient.ClientVersion}+{ProtonApiClient.MachineName(RuntimeInformation.OSArchitecture)}";
        Assert.That(Api.AppVersions.Distinct(), Is.EqualTo(new[] { expected }));
        Assert.That(ProtonApiClient.MachineName(Architecture.X64), Is.EqualTo("x86_64"));
        Assert.That(ProtonApiClient.MachineName(Architecture.Arm64), Is.EqualTo("aarch64"));
    }
}
