using OtpNet;
using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Fakes.Proton;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class LoginTests : ProtonFixture
{
    private static string CurrentCode() => new Totp(Base32Encoding.ToBytes(TotpSecret)).ComputeTotp(DateTime.UtcNow);

    [Test]
    public async Task Login_without_2fa_stores_tokens_key_and_certificate()
    {
        await LoginAsync(Plain);

        Assert.That(StoredSession, Is.Not.Null);
        Assert.That(StoredSession, Does.Contain("\"Username\": \"alice\"").And.Contain("\"MaxTier\": 2").And.Contain("\"Mode\": \"persistent\""));
        Assert.That(Requests(), Is.EqualTo(new[] { "POST /auth/v4/info", "POST /auth/v4", "GET /vpn/v2", "POST /vpn/v1/certificate" }));
        Assert.That(Context.Terminal.OutWriter.ToString(), Does.Contain("Logged in to Proton VPN as alice (VPN Plus)"));
    }

    [Test]
    public async Task Login_with_totp_flag()
    {
        await LoginAsync(WithTotp, "--totp", CurrentCode());
        Assert.That(StoredSession, Is.Not.Null);
        Assert.That(Requests(), Does.Contain("POST /auth/v4/2fa"));
    }

    [Test]
    public async Task Login_with_totp_secret_file_generates_the_code()
    {
        var file = Path.Combine(Context.CacheDirectory, "totp.txt");
        await File.WriteAllTextAsync(file, $"otpauth://totp/Proton:bob?secret={TotpSecret}&issuer=Proton\n");
        await LoginAsync(WithTotp, "--totp-secret-file", file);
        Assert.That(StoredSession, Is.Not.Null);
        Assert.That(Context.Logger.Secrets, Does.Contain(TotpSecret));
    }

    [Test]
    public async Task Login_prompts_for_password_and_code_on_a_terminal()
    {
        Context.Terminal.IsInteractive = true;
        Context.Terminal.Answers.Enqueue(WithTotp.Password);
        Context.Terminal.Answers.Enqueue(CurrentCode());
        await Provider.LoginAsync(new LoginRequest { Username = WithTotp.Username, Options = VerbLines.Options<ProtonLoginOptions>(WithTotp.Username) }, CancellationToken.None);
        Assert.That(Context.Terminal.Prompts, Is.EqualTo(new[] { "Proton password for bob: ", "Two-factor code: " }));
        Assert.That(StoredSession, Is.Not.Null);
    }

    [Test]
    public void Wrong_password_is_one_clear_error_and_writes_nothing()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.LoginAsync(
            new LoginRequest { Username = "alice", Password = "wrong", Options = VerbLines.Options<ProtonLoginOptions>("alice") }, CancellationToken.None));
        Assert.That(ex!.Message, Is.EqualTo("Proton login failed: wrong user name or password for 'alice'"));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [Test]
    public void Unknown_user_looks_like_a_wrong_password()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.LoginAsync(
            new LoginRequest { Username = "nobody", Password = "x", Options = VerbLines.Options<ProtonLoginOptions>("nobody") }, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("wrong user name or password"));
    }

    [Test]
    public void Wrong_totp_is_refused_writes_nothing_and_revokes_the_half_session()
    {
        var before = Api.ActiveSessions;
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(WithTotp, "--totp", "000000"));
        Assert.That(ex!.Message, Does.StartWith("Proton refused the two-factor code"));
        Assert.That(Context.Store.Writes, Is.Zero);
        Assert.That(Requests(), Does.Contain("DELETE /auth/v4"));
        Assert.That(Api.ActiveSessions, Is.EqualTo(before));
    }

    [Test]
    public void Missing_code_without_terminal_says_which_flags_to_use()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(WithTotp));
        Assert.That(ex!.Message, Does.Contain("--totp CODE or --totp-secret-file FILE"));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [Test]
    public void Missing_password_without_terminal_names_the_options()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Provider.LoginAsync(
            new LoginRequest { Username = "alice", Options = VerbLines.Options<ProtonLoginOptions>("alice") }, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("--password-stdin").And.Contain("TUNMUX_PROTON_PASSWORD"));
    }

    [Test]
    public async Task Secrets_are_registered_and_never_logged_or_printed()
    {
        await LoginAsync(Plain);
        var secrets = Context.Logger.Secrets.ToList();
        Assert.That(secrets, Does.Contain(Plain.Password));
        Assert.That(secrets, Has.Count.GreaterThanOrEqualTo(4));
        var visible = string.Join('\n', Context.Logger.Lines) + Context.Terminal.OutWriter + Context.Terminal.ErrorWriter;
        foreach (var s in secrets) Assert.That(visible, Does.Not.Contain(s));
    }
}
