using OtpNet;
using Tunmux.Contracts;
using Tunmux.Plugins.Ivpn.Account;
using Tunmux.Plugins.Ivpn.Api;

namespace Tunmux.Plugins.Ivpn.Tests;

public sealed class LoginAndAccountTests : IvpnFixture
{
    [Test]
    public async Task Login_sets_a_locally_made_key_on_a_new_session_and_keeps_it_in_the_credential_store()
    {
        var outcome = await LoginAsync();
        var session = Fake.Sessions.Single();
        Assert.That(session.PublicKey, Is.EqualTo(outcome.Session.PublicKey));
        Assert.That(outcome.Session.TunnelAddress, Is.EqualTo(session.Address));
        Assert.That(outcome.Session.SessionToken, Is.EqualTo(session.Token));
        Assert.That(Context.Store.Items.Keys, Is.EquivalentTo(new[] { SessionStore.Item }));
        Assert.That(Out, Does.Contain("Logged in to IVPN account i-****-****-JKLM").And.Contain(session.DeviceName));
        Assert.That(Fake.LastHeaders["POST /v4/session/new"].ContentType.ToString(), Does.StartWith("application/json"));
        AssertIdNotShown();
        Assert.That(Context.AllOutput, Does.Not.Contain(session.Token));
    }

    [Test]
    public void Account_ids_are_checked_and_normalized()
    {
        Assert.That(AccountId.Normalize(" i-abcd-efgh-jklm "), Is.EqualTo(Account));
        Assert.That(AccountId.Normalize("ivpnAB12CD34"), Is.EqualTo("ivpnab12cd34"));
        Assert.That(Assert.Throws<ProviderException>(() => AccountId.Normalize("abc"))!.Message, Does.Contain("i-XXXX-XXXX-XXXX"));
        Assert.That(Service.ReadAccountId("i-ABCD-EFGH-JKLM", fromStdin: false), Is.EqualTo(Account));
        Assert.That(Err, Does.Contain("shell history"));
        Environment[IvpnService.AccountVariable] = Other;
        Assert.That(Service.ReadAccountId(null, fromStdin: false), Is.EqualTo(Other));
    }

    [Test]
    public void An_unknown_account_is_one_clear_line()
    {
        var ex = Assert.ThrowsAsync<IvpnApiException>(() => LoginAsync("i-ZZZZ-ZZZZ-ZZZZ"))!;
        Assert.That(ex.Status, Is.EqualTo(401));
        Assert.That(ex.Message, Does.Contain("IVPN does not know this account ID"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public async Task A_second_factor_is_answered_from_totp_or_a_secret_file()
    {
        var secret = Base32Encoding.ToString(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        Fake.Accounts[Account].TotpSecret = secret;

        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("two-factor").And.Contain("--totp CODE").And.Contain("--totp-secret-file"));

        var wrong = Assert.ThrowsAsync<IvpnApiException>(() => LoginAsync(totp: "000000"))!;
        Assert.That(wrong.Status, Is.EqualTo(IvpnErrors.SecondFactorInvalid));

        var code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow);
        await LoginAsync(totp: code);
        Assert.That(Fake.Sessions.Count(), Is.EqualTo(1));
        await Service.LogoutAsync(CancellationToken.None);

        var file = Path.Combine(Context.CacheDirectory, "totp.txt");
        await File.WriteAllTextAsync(file, $"otpauth://totp/IVPN:me?secret={secret}&issuer=IVPN\n");
        await NewService().LoginAsync(Account, false, null, file, CancellationToken.None);
        Assert.That(Fake.Sessions.Count(), Is.EqualTo(1));
        Assert.That(Context.Logger.Secrets, Does.Contain(secret));
    }

    [Test]
    public async Task A_second_factor_is_prompted_for_at_a_terminal()
    {
        var secret = Base32Encoding.ToString(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        Fake.Accounts[Account].TotpSecret = secret;
        Context.Terminal.IsInteractive = true;
        Context.Terminal.Answers.Enqueue(new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow));
        await LoginAsync();
        Assert.That(Context.Terminal.Prompts.Single(), Does.Contain("two-factor code"));
    }

    [Test]
    public async Task At_the_session_limit_login_stops_and_force_logs_the_other_sessions_out()
    {
        Fake.Accounts[Account].SessionLimit = 2;
        Fake.AddSession(Account, "phone");
        Fake.AddSession(Account, "laptop");

        var ex = Assert.ThrowsAsync<IvpnApiException>(() => LoginAsync())!;
        Assert.That(ex.Status, Is.EqualTo(IvpnErrors.SessionLimit));
        Assert.That(ex.Message, Does.Contain("maximum of 2 sessions").And.Contain("tunmux ivpn login --force"));
        Assert.That(Context.Store.Items, Is.Empty);

        var outcome = await LoginAsync(force: true);
        Assert.That(Fake.Sessions.Select(s => s.Token), Is.EqualTo(new[] { outcome.Session.SessionToken }));
        Assert.That(Out, Does.Contain("other sessions logged out"));
    }

    [Test]
    public async Task Logging_in_again_keeps_the_session_and_another_account_ends_it_first()
    {
        var first = await LoginAsync();
        var again = await LoginAsync();
        Assert.That(again.AlreadyLoggedIn, Is.True);
        Assert.That(again.Session.SessionToken, Is.EqualTo(first.Session.SessionToken));
        await LoginAsync(Other);
        Assert.That(Fake.Sessions.Select(s => s.Account.Id), Is.EqualTo(new[] { Other }));
    }

    [Test]
    public async Task Info_shows_the_account_state_and_an_ended_session_says_to_log_in_again()
    {
        await LoginAsync();
        var info = await Service.InfoAsync(CancellationToken.None);
        Assert.That(info.Active, Is.True);
        Assert.That(info.Plan, Is.EqualTo("IVPN Pro"));
        Assert.That(info.ActiveUntil, Is.EqualTo(Fake.Accounts[Account].ActiveUntil).Within(TimeSpan.FromSeconds(1)));
        Assert.That(info.DeviceName, Is.EqualTo(Fake.Sessions.Single().DeviceName));
        Assert.That(info.MaskedAccount, Is.EqualTo("i-****-****-JKLM"));

        Fake.EndAllSessions();
        var ex = Assert.ThrowsAsync<IvpnApiException>(() => Service.InfoAsync(CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("session has ended").And.Contain("tunmux ivpn login"));
    }

    [Test]
    public async Task An_inactive_account_logs_in_with_a_warning()
    {
        Fake.Accounts[Account].Active = false;
        await LoginAsync();
        Assert.That(Err, Does.Contain("not active").And.Contain("ivpn.net/account"));
    }

    [Test]
    public async Task Create_account_makes_an_inactive_account_on_the_web_site([Values("standard", "pro")] string product)
    {
        var created = await Service.CreateAccountAsync(product, CancellationToken.None);
        Assert.That(Fake.Accounts[created.Id].Active, Is.False);
        Assert.That(created.Product?.Name, Is.EqualTo(product == "pro" ? "IVPN Pro" : "IVPN Standard"));
        Assert.That(AccountId.Normalize(created.Id), Is.EqualTo(created.Id));
        Assert.That(Context.Logger.Secrets, Does.Contain(created.Id));
        Assert.That(Err, Does.Contain("tunmux ivpn login --account-stdin"));
    }

    [Test]
    public void Create_account_refuses_an_unknown_product()
    {
        Assert.That(Assert.ThrowsAsync<ProviderException>(() => Service.CreateAccountAsync("gold", CancellationToken.None))!.Message,
            Does.Contain("standard or pro"));
        Assert.That(Fake.Requests, Is.Empty);
    }

    [Test]
    public async Task Logout_deletes_the_session_and_the_local_credentials()
    {
        await LoginAsync();
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.True);
        Assert.That(Fake.Sessions, Is.Empty);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.False);
        Assert.That(Out, Does.Contain("Not logged in to IVPN"));
    }

    [Test]
    public async Task Logout_removes_a_damaged_session()
    {
        Context.Store.Items["session.json"] = "{ not json";
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.True);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(Out, Does.Contain("Removed a damaged IVPN session"));
    }
}
