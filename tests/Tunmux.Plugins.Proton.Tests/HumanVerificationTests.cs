using Tunmux.Contracts;
using Tunmux.Plugins.Proton.Cli;
using Tunmux.TestSupport;
using Tunmux.Fakes.Proton;

namespace Tunmux.Plugins.Proton.Tests;

/// <summary>Logins answered 9001: the address to solve, then the same login with the solved token, with and without a terminal.</summary>
public sealed class HumanVerificationTests : ProtonFixture
{
    private FakeAccount Verified()
    {
        var account = NewAccount();
        Api.RequireHumanVerification(account.Username);
        return account;
    }

    private Task LoginAsync(FakeAccount account, ProtonLoginOptions options) =>
        Provider.LoginAsync(new LoginRequest { Username = account.Username, Password = account.Password, Options = options }, CancellationToken.None);

    [Test]
    public async Task Without_a_terminal_the_error_gives_the_address_and_the_command_then_hv_token_finishes_the_login()
    {
        var account = Verified();

        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account));
        var token = Api.PendingVerificationToken(account.Username)!;
        Assert.That(ex!.Message, Is.EqualTo(
            $"Proton asks for human verification (CAPTCHA) before this login: open https://verify.proton.me/?methods=captcha&token={token} in a browser, solve it, then run `tunmux proton login {account.Username} --hv-token {token}`"));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
        Assert.That(Context.Store.Writes, Is.Zero);

        Api.SolveHumanVerification(token);
        await LoginAsync(account, "--hv-token", token);

        Assert.That(StoredSession, Does.Contain(account.Username));
        Assert.That(Api.PendingVerificationToken(account.Username), Is.Null, "the solved token was used");
    }

    [Test]
    public async Task Hv_type_is_sent_with_the_token()
    {
        var account = Verified();
        Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account));
        var token = Api.PendingVerificationToken(account.Username)!;
        Api.SolveHumanVerification(token);
        // The fake accepts only the captcha type, as it only offered captcha.
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account, "--hv-token", token, "--hv-type", "email"));
        Assert.That(ex!.Message, Does.StartWith("Proton did not accept the human verification token"));
        await LoginAsync(account, "--hv-token", token, "--hv-type", "captcha");
        Assert.That(StoredSession, Is.Not.Null);
    }

    [Test]
    public void An_unsolved_token_is_refused_with_a_fresh_address()
    {
        var account = Verified();
        Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account));
        var first = Api.PendingVerificationToken(account.Username)!;

        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account, "--hv-token", first));

        var fresh = Api.PendingVerificationToken(account.Username)!;
        Assert.That(fresh, Is.Not.EqualTo(first));
        Assert.That(ex!.Message, Does.StartWith("Proton did not accept the human verification token (not solved, or expired): open https://verify.proton.me/?methods=captcha&token=" + fresh));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [Test]
    public async Task On_a_terminal_the_address_is_shown_and_the_login_goes_on_after_enter()
    {
        var account = Verified();
        Context.Terminal.IsInteractive = true;
        Context.Terminal.OnPrompt = prompt =>
        {
            // The person opens the address and solves it, then presses Enter.
            Api.SolveHumanVerification(Api.PendingVerificationToken(account.Username)!);
            return "";
        };

        await LoginAsync(account);

        Assert.That(Context.Terminal.Prompts, Is.EqualTo(new[] { "Press Enter once it is solved (Ctrl-D cancels): " }));
        Assert.That(Context.Terminal.ErrorWriter.ToString(), Does.Contain("https://verify.proton.me/?methods=captcha&token="));
        Assert.That(StoredSession, Does.Contain(account.Username));
        Assert.That(Requests().Count(r => r == "POST /auth/v4"), Is.EqualTo(2), "the same login, sent again with the token");
    }

    [Test]
    public void On_a_terminal_end_of_input_cancels()
    {
        var account = Verified();
        Context.Terminal.IsInteractive = true;
        Context.Terminal.OnPrompt = _ => null;
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(account));
        Assert.That(ex!.Message, Is.EqualTo("human verification not completed; login cancelled"));
        Assert.That(Context.Store.Writes, Is.Zero);
    }

    [TestCase("a b")]
    [TestCase("")]
    public void A_malformed_token_is_refused_before_any_request(string token)
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(Plain, new ProtonLoginOptions { Username = Plain.Username, HvToken = token }));
        Assert.That(ex!.Message, Does.StartWith("--hv-token is not a verification token"));
        Assert.That(Requests(), Is.Empty);
    }
}
