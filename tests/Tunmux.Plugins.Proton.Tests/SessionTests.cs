using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Plugins.Proton.Keys;
using Tunmux.Fakes.Proton;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class SessionTests : ProtonFixture
{
    [Test]
    public async Task Expired_access_token_is_refreshed_transparently_and_stored()
    {
        await LoginAsync(Plain);
        var before = StoredSession;
        Api.ExpireAccessTokens();
        while (Api.Requests.TryDequeue(out _)) { }

        var info = await Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);

        Assert.That(info.Plan, Is.EqualTo("VPN Plus"));
        Assert.That(Requests(), Is.EqualTo(new[] { "GET /vpn/v2", "POST /auth/v4/refresh", "GET /vpn/v2" }));
        Assert.That(StoredSession, Is.Not.EqualTo(before));

        // A new process with the stored tokens works without another refresh.
        while (Api.Requests.TryDequeue(out _)) { }
        var again = NewProviderOn(Context);
        await again.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);
        Assert.That(Requests(), Is.EqualTo(new[] { "GET /vpn/v2" }));
    }

    [Test]
    public async Task Revoked_session_asks_to_log_in_again()
    {
        await LoginAsync(Plain);
        Api.RevokeAllSessions();
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("log in again"));
    }

    [Test]
    public async Task Info_shows_plan_tier_connections_and_certificate()
    {
        await LoginAsync(Plain);
        var info = await Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);
        var details = info.Details.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Multiple(() =>
        {
            Assert.That(info.Username, Is.EqualTo("alice"));
            Assert.That(details["Tier"], Is.EqualTo("plus"));
            Assert.That(details["Max connections"], Is.EqualTo("10"));
            Assert.That(details["Device"], Is.EqualTo("test-device"));
            Assert.That(details, Does.ContainKey("Certificate expires"));
        });
        var all = string.Join('\n', info.Details.Select(kv => kv.Value));
        foreach (var secret in Context.Logger.Secrets) Assert.That(all, Does.Not.Contain(secret));
    }

    [Test]
    public void Info_without_login_says_to_log_in()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("tunmux proton login"));
    }

    [Test]
    public async Task Certificate_registers_the_wireguard_key_of_the_stored_key_pair()
    {
        await LoginAsync(Plain);
        var issued = Api.Certificates.Last();
        var seed = System.Text.Json.JsonDocument.Parse(StoredSession!).RootElement.GetProperty("Ed25519PrivateKey").GetString()!;
        var keys = VpnKeys.FromBase64(seed);
        Assert.Multiple(() =>
        {
            Assert.That(issued.WireGuardPublicKey, Is.EqualTo(keys.WireGuardPublicKeyBase64));
            Assert.That(issued.DeviceName, Is.EqualTo("test-device"));
            Assert.That(issued.Mode, Is.EqualTo("persistent"));
        });
    }

    [Test]
    public async Task Certificate_is_renewed_before_it_lapses_on_connect()
    {
        await LoginAsync(Plain);
        var count = Api.Certificates.Count;
        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);
        Assert.That(Api.Certificates, Has.Count.EqualTo(count));

        Clock.Now = DateTimeOffset.UtcNow.AddDays(300); // past Proton's refresh time
        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);
        Assert.That(Api.Certificates, Has.Count.EqualTo(count + 1));
    }

    [Test]
    public async Task Logout_revokes_and_removes_credentials_and_manifest()
    {
        await LoginAsync(Plain);
        await Provider.ListServersAsync(new ServerQuery { Options = VerbLines.Options<ProtonServersOptions>() }, CancellationToken.None);
        var active = Api.ActiveSessions;
        var manifest = Path.Combine(Context.CacheDirectory, "manifest.json");
        Assert.That(File.Exists(manifest), Is.True);

        await Provider.LogoutAsync(CancellationToken.None);

        Assert.That(Requests(), Does.Contain("DELETE /auth/v4"));
        Assert.That(Api.ActiveSessions, Is.EqualTo(active - 1));
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(File.Exists(manifest), Is.False);
    }

    [Test]
    public async Task Logout_removes_local_credentials_even_when_the_api_is_down()
    {
        await LoginAsync(Plain);
        Api.InjectFault("/auth/v4", 503, times: 3);
        await Provider.LogoutAsync(CancellationToken.None);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(Context.Logger.Lines.Any(l => l.StartsWith("WRN", StringComparison.Ordinal)), Is.True);
    }
}

public sealed class ConcurrentRefreshTests : ProtonFixture
{
    [Test]
    public async Task A_refresh_done_by_another_process_is_picked_up_from_the_store()
    {
        await LoginAsync(Plain);
        Api.ExpireAccessTokens();

        // Another process with the same credential store refreshes first...
        var other = NewProviderOn(Context);
        var stale = Context.Store.Items["session.json"];
        await other.GetInfoAsync(new InfoRequest { Options = new InfoOptions() }, CancellationToken.None);
        var fresh = Context.Store.Items["session.json"];

        // ...while this one still holds the spent refresh token: it must use the stored tokens.
        var client = new Api.ProtonApiClient(Context.Http.Create(), Api.Url!, Context.Logger);
        var staleSession = System.Text.Json.JsonDocument.Parse(stale).RootElement;
        client.Tokens = new Api.ApiTokens(staleSession.GetProperty("Uid").GetString()!, staleSession.GetProperty("AccessToken").GetString()!, staleSession.GetProperty("RefreshToken").GetString()!);
        var freshSession = System.Text.Json.JsonDocument.Parse(fresh).RootElement;
        var freshTokens = new Api.ApiTokens(freshSession.GetProperty("Uid").GetString()!, freshSession.GetProperty("AccessToken").GetString()!, freshSession.GetProperty("RefreshToken").GetString()!);
        client.ReloadTokens = _ => Task.FromResult<Api.ApiTokens?>(freshTokens);

        var answer = await client.GetAsync("/vpn/v2", Plugins.Proton.Api.ApiJson.Default.VpnInfoResponse, CancellationToken.None);
        Assert.That(answer.Vpn!.PlanTitle, Is.EqualTo("VPN Plus"));
        Assert.That(client.Tokens, Is.EqualTo(freshTokens));
    }
}
