using System.Text.Json;
using Tunmux.Fakes.Kit;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Fakes.Proton;

namespace Tunmux.Plugins.Proton.Tests;

/// <summary>One device key across logins, renewal with Renew: true, revocation on logout, the certificates and features verbs.</summary>
public sealed class CertificateTests : ProtonFixture
{
    private FakeAccount _account = null!;

    [SetUp]
    public void FreshAccount() => _account = NewAccount();

    private Task LoginAsync() => LoginAsync(_account);

    private string StoredKey() => JsonDocument.Parse(StoredSession!).RootElement.GetProperty("Ed25519PrivateKey").GetString()!;

    private async Task<string> VerbAsync(string path, bool json = false, params string[] args)
    {
        Context.Terminal.OutWriter.GetStringBuilder().Clear();
        var code = await Provider.RunVerbAsync(VerbLines.Invocation(Provider, path, json ? [.. args, "--json"] : args), CancellationToken.None);
        Assert.That(code, Is.Zero);
        return Context.Terminal.OutWriter.ToString();
    }

    [Test]
    public async Task A_second_login_reuses_the_device_key_and_adds_no_configuration()
    {
        await LoginAsync();
        var key = StoredKey();
        var issued = Api.Certificates.Count;

        await LoginAsync();

        Assert.That(StoredKey(), Is.EqualTo(key));
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued), "a valid certificate is kept as it is");
        Assert.That(Api.PersistentCertificates(_account.Username), Has.Count.EqualTo(1));
        Assert.That(Context.Terminal.OutWriter.ToString(), Does.Contain("this device's key and certificate kept"));
    }

    [Test]
    public async Task A_login_after_the_certificate_is_due_renews_it_for_the_same_key()
    {
        await LoginAsync();
        var key = StoredKey();
        Clock.Now = DateTimeOffset.UtcNow.AddDays(300);

        await LoginAsync();

        Assert.That(StoredKey(), Is.EqualTo(key));
        Assert.That(Api.Certificates.Last().Renew, Is.True);
        Assert.That(Api.PersistentCertificates(_account.Username), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Renewal_before_expiry_asks_with_renew_for_the_same_key()
    {
        await LoginAsync();
        var first = Api.Certificates.Last();
        Assert.That(first.Renew, Is.False);

        Clock.Now = DateTimeOffset.UtcNow.AddDays(300); // past Proton's refresh time
        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);

        var renewal = Api.Certificates.Last();
        Assert.Multiple(() =>
        {
            Assert.That(renewal.Renew, Is.True);
            Assert.That(renewal.WireGuardPublicKey, Is.EqualTo(first.WireGuardPublicKey));
            Assert.That(renewal.DeviceName, Is.EqualTo("test-device"));
            Assert.That(Api.PersistentCertificates(_account.Username), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Logout_revokes_this_devices_certificate_before_the_session()
    {
        await LoginAsync();
        while (Api.Requests.TryDequeue(out _)) { }

        await Provider.LogoutAsync(CancellationToken.None);

        Assert.That(Api.PersistentCertificates(_account.Username), Is.Empty);
        var requests = Requests();
        Assert.That(requests.IndexOf("DELETE /vpn/v1/certificate"), Is.LessThan(requests.IndexOf("DELETE /auth/v4")).And.Not.Negative);
        Assert.That(Context.Terminal.OutWriter.ToString(), Does.Contain("this device's certificate revoked"));
    }

    [Test]
    public async Task A_login_after_logout_makes_a_new_key()
    {
        await LoginAsync();
        var key = StoredKey();
        await Provider.LogoutAsync(CancellationToken.None);
        await LoginAsync();
        Assert.That(StoredKey(), Is.Not.EqualTo(key));
    }

    [Test]
    public async Task Certificates_lists_every_device_and_marks_this_one()
    {
        // Another machine of the same account.
        using var other = new PluginTestContext(new Dictionary<string, object> { ["api_url"] = Api.Url!.ToString(), ["device_name"] = "laptop" }, maskSecretsInLog: false);
        var otherProvider = NewProviderOn(other);
        await otherProvider.LoginAsync(new LoginRequest { Username = _account.Username, Password = _account.Password, Options = VerbLines.Options<ProtonLoginOptions>(_account.Username) }, CancellationToken.None);
        await LoginAsync();

        var table = await VerbAsync("certificates");
        var json = await VerbAsync("certificates", json: true);

        Assert.That(table.Split('\n')[0], Is.EqualTo("NAME\tSERIAL\tEXPIRES\tTHIS DEVICE"));
        var rows = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.That(rows.Select(r => r.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "test-device", "laptop" }));
        Assert.That(rows.Single(r => r.GetProperty("this_device").GetBoolean()).GetProperty("name").GetString(), Is.EqualTo("test-device"));
        Assert.That(rows.All(r => r.GetProperty("serial").GetString()!.Length > 0), Is.True);
    }

    [Test]
    public async Task Certificates_revoke_removes_one_and_refuses_an_unknown_serial()
    {
        using var other = new PluginTestContext(new Dictionary<string, object> { ["api_url"] = Api.Url!.ToString(), ["device_name"] = "laptop" }, maskSecretsInLog: false);
        await NewProviderOn(other).LoginAsync(new LoginRequest { Username = _account.Username, Password = _account.Password, Options = VerbLines.Options<ProtonLoginOptions>(_account.Username) }, CancellationToken.None);
        await LoginAsync();
        var laptop = Api.PersistentCertificates(_account.Username).Single(c => c.DeviceName == "laptop").SerialNumber;

        var output = await VerbAsync("certificates revoke", false, laptop);

        Assert.That(output.Trim(), Is.EqualTo($"Revoked certificate {laptop}"));
        Assert.That(Api.PersistentCertificates(_account.Username).Select(c => c.DeviceName), Is.EqualTo(new[] { "test-device" }));
        var ex = Assert.ThrowsAsync<ProviderException>(() => VerbAsync("certificates revoke", false, laptop));
        Assert.That(ex!.Message, Does.StartWith($"no certificate with serial {laptop} on the account"));
        ex = Assert.ThrowsAsync<ProviderException>(() => VerbAsync("certificates revoke", false, "../x"));
        Assert.That(ex!.Message, Does.Contain("is not a certificate serial number"));
    }

    [Test]
    public async Task Revoking_this_devices_certificate_makes_the_next_connect_ask_for_a_new_one()
    {
        await LoginAsync();
        var own = Api.PersistentCertificates(_account.Username).Single().SerialNumber;
        await VerbAsync("certificates revoke", false, own);

        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);

        Assert.That(Api.Certificates.Last().Renew, Is.False);
        Assert.That(Api.PersistentCertificates(_account.Username), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Features_show_the_defaults_of_proton_apps_and_change_by_renewing()
    {
        await LoginAsync();
        var sent = JsonDocument.Parse(Api.Certificates.Last().FeaturesJson!).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(sent.GetProperty("NetShieldLevel").GetInt32(), Is.EqualTo(2), "paid plan default");
            Assert.That(sent.GetProperty("RandomNAT").GetBoolean(), Is.True);
            Assert.That(sent.GetProperty("SplitTCP").GetBoolean(), Is.True);
            Assert.That(sent.GetProperty("PortForwarding").GetBoolean(), Is.False);
        });

        var shown = await VerbAsync("features");
        Assert.That(shown, Does.Contain("NetShield\t2 (malware, ads, trackers)").And.Contain("Moderate NAT\toff"));

        await VerbAsync("features", false, "--netshield", "1", "--moderate-nat", "on", "--vpn-accelerator", "off");

        var renewal = Api.Certificates.Last();
        var features = JsonDocument.Parse(renewal.FeaturesJson!).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(renewal.Renew, Is.True);
            Assert.That(features.GetProperty("NetShieldLevel").GetInt32(), Is.EqualTo(1));
            Assert.That(features.GetProperty("RandomNAT").GetBoolean(), Is.False, "moderate NAT is RandomNAT off");
            Assert.That(features.GetProperty("SplitTCP").GetBoolean(), Is.False);
            Assert.That(Api.PersistentCertificates(_account.Username), Has.Count.EqualTo(1));
        });
        var json = JsonDocument.Parse(await VerbAsync("features", json: true)).RootElement;
        Assert.That(json.GetProperty("netshield").GetInt32(), Is.EqualTo(1));
        Assert.That(json.GetProperty("moderate_nat").GetBoolean(), Is.True);

        // The features survive a renewal at expiry.
        var issued = Api.Certificates.Count;
        Clock.Now = DateTimeOffset.UtcNow.AddDays(300);
        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued + 1));
        Assert.That(JsonDocument.Parse(Api.Certificates.Last().FeaturesJson!).RootElement.GetProperty("NetShieldLevel").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task Free_accounts_default_to_netshield_off()
    {
        _account = NewAccount(maxTier: 0);
        await LoginAsync();
        Assert.That(JsonDocument.Parse(Api.Certificates.Last().FeaturesJson!).RootElement.GetProperty("NetShieldLevel").GetInt32(), Is.Zero);
    }

    [TestCase("--netshield", "3", "--netshield takes 0 (off), 1 (malware) or 2 (malware, ads, trackers), not '3'")]
    [TestCase("--port-forward", "maybe", "--port-forward takes on or off, not 'maybe'")]
    public async Task Bad_feature_values_are_one_line_and_change_nothing(string flag, string value, string message)
    {
        await LoginAsync();
        var issued = Api.Certificates.Count;
        var ex = Assert.ThrowsAsync<ProviderException>(() => VerbAsync("features", false, flag, value));
        Assert.That(ex!.Message, Is.EqualTo(message));
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued));
    }

    [Test]
    public async Task Connect_with_port_forward_turns_the_feature_on_says_so_and_picks_a_p2p_server()
    {
        await LoginAsync();
        Context.Terminal.OutWriter.GetStringBuilder().Clear();

        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>("--port-forward") }, CancellationToken.None);

        Assert.That(plan.Server.Name, Is.EqualTo("US#1"), "the P2P server");
        Assert.That(JsonDocument.Parse(Api.Certificates.Last().FeaturesJson!).RootElement.GetProperty("PortForwarding").GetBoolean(), Is.True);
        Assert.That(Context.Terminal.OutWriter.ToString(), Does.StartWith("Port forwarding turned on for this device's certificate"));

        // Already on: nothing asked, nothing said.
        var issued = Api.Certificates.Count;
        Context.Terminal.OutWriter.GetStringBuilder().Clear();
        await Provider.PrepareConnectAsync(new ConnectRequest { Country = "US", Options = VerbLines.Options<ProtonConnectOptions>("--port-forward") }, CancellationToken.None);
        Assert.That(Api.Certificates, Has.Count.EqualTo(issued));
        Assert.That(Context.Terminal.OutWriter.ToString(), Is.Empty);

        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.PrepareConnectAsync(
            new ConnectRequest { ServerName = "US#2", Options = VerbLines.Options<ProtonConnectOptions>("--port-forward") }, CancellationToken.None));
        Assert.That(ex!.Message, Does.StartWith("US#2 does not forward ports (only P2P servers do)"));
    }

    [Test]
    public async Task The_profile_keeps_the_tunnel_alive_every_25_seconds()
    {
        await LoginAsync();
        var plan = await Provider.PrepareConnectAsync(new ConnectRequest { ServerName = "US#1", Options = VerbLines.Options<ProtonConnectOptions>() }, CancellationToken.None);
        Assert.That(plan.Profile.Peers.Single().PersistentKeepalive, Is.EqualTo(25));
    }
}
