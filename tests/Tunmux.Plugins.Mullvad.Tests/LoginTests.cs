using Tunmux.Contracts;
using Tunmux.Plugins.Mullvad.Account;

namespace Tunmux.Plugins.Mullvad.Tests;

public sealed class LoginTests : MullvadFixture
{
    [Test]
    public async Task Login_registers_a_locally_made_key_as_a_device_and_keeps_everything_in_the_credential_store()
    {
        var outcome = await LoginAsync();

        var device = Fake.Accounts[Account].Devices.Values.Single();
        Assert.That(device.Pubkey, Is.EqualTo(outcome.Session.PublicKey));
        Assert.That(outcome.Session.DeviceName, Is.EqualTo(device.Name));
        Assert.That(outcome.Session.Ipv4Address, Is.EqualTo(device.Ipv4Address));
        Assert.That(Context.Store.Items.Keys, Is.EquivalentTo(new[] { SessionStore.Item }));
        Assert.That(Context.Store.Items[SessionStore.Item], Does.Contain(Account), "the number is kept, in the credential store");
        Assert.That(Directory.EnumerateFiles(Context.CacheDirectory, "*", SearchOption.AllDirectories).Select(File.ReadAllText),
            Has.None.Contains(Account), "no file of the plugin holds the number");
        Assert.That(Out, Does.Contain($"as device \"{device.Name}\"").And.Contain("**** **** **** 3456"));
        Assert.That(Fake.Requests, Does.Contain("POST /auth/v1/token").And.Contain("POST /accounts/v1/devices"));
        AssertNumberNotShown();
    }

    [Test]
    public void The_number_comes_from_the_argument_with_a_history_warning_or_from_stdin_the_environment_or_a_prompt()
    {
        Assert.That(Service.ReadAccountNumber("1234 5678 9012 3456", fromStdin: false), Is.EqualTo(Account));
        Assert.That(Err, Does.Contain("shell history"));

        Context.Terminal.StdinLine = Account + "\n";
        Assert.That(Service.ReadAccountNumber(null, fromStdin: true), Is.EqualTo(Account));

        Environment[MullvadService.AccountVariable] = Other;
        Assert.That(Service.ReadAccountNumber(null, fromStdin: false), Is.EqualTo(Other));

        Environment.Clear();
        Context.Terminal.IsInteractive = true;
        Context.Terminal.Answers.Enqueue("1234-5678-9012-3456");
        Assert.That(Service.ReadAccountNumber(null, fromStdin: false), Is.EqualTo(Account));
        Assert.That(Context.Terminal.Prompts.Single(), Does.Contain("account number"));
        Assert.That(Context.Logger.Secrets, Does.Contain(Account));
    }

    [Test]
    public void Without_a_terminal_and_without_a_number_the_error_names_the_other_ways()
    {
        var ex = Assert.Throws<ProviderException>(() => Service.ReadAccountNumber(null, fromStdin: false))!;
        Assert.That(ex.Message, Does.Contain("--account-stdin").And.Contain(MullvadService.AccountVariable));
    }

    [Test]
    public void A_number_that_is_not_16_digits_is_refused_before_any_request()
    {
        var ex = Assert.Throws<ProviderException>(() => Service.ReadAccountNumber("1234", fromStdin: false))!;
        Assert.That(ex.Message, Does.Contain("16 digits"));
        Assert.That(Fake.Requests, Is.Empty);
    }

    [Test]
    public void An_unknown_account_is_one_clear_line_and_nothing_is_stored()
    {
        var ex = Assert.ThrowsAsync<Api.MullvadApiException>(() => LoginAsync("1111222233334444"))!;
        Assert.That(ex.Code, Is.EqualTo("INVALID_ACCOUNT"));
        Assert.That(ex.Message, Does.Contain("does not know this account number"));
        Assert.That(Context.Store.Items, Is.Empty);
    }

    [Test]
    public async Task At_the_device_limit_login_stops_naming_the_devices_and_force()
    {
        FillAccount();
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync())!;
        Assert.That(ex.Message, Does.Contain("maximum of 5 devices").And.Contain("tunmux mullvad login --force")
            .And.Contain("Oldest Owl").And.Contain("--replace NAME").And.Contain("mullvad.net/account/devices"));
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(5));
        Assert.That(Context.Store.Items, Is.Empty);
        await Task.CompletedTask;
    }

    [Test]
    public async Task Force_replaces_the_oldest_device()
    {
        FillAccount();
        var outcome = await LoginAsync(force: true);
        Assert.That(outcome.Replaced!.Name, Is.EqualTo("Oldest Owl"));
        Assert.That(Fake.Accounts[Account].Devices.Values.Select(d => d.Name), Does.Not.Contain("Oldest Owl").And.Contain(outcome.Session.DeviceName));
        Assert.That(Out, Does.Contain("Removed device \"Oldest Owl\""));
    }

    [Test]
    public async Task Replace_names_the_device_to_remove()
    {
        FillAccount();
        var outcome = await LoginAsync(force: true, replace: "device 3");
        Assert.That(outcome.Replaced!.Name, Is.EqualTo("Device 3"));
        Assert.That(Fake.Accounts[Account].Devices.Values.Select(d => d.Name), Does.Contain("Oldest Owl"));
    }

    [Test]
    public void Replace_with_an_unknown_name_removes_nothing()
    {
        FillAccount();
        var ex = Assert.ThrowsAsync<ProviderException>(() => LoginAsync(force: true, replace: "Nobody"))!;
        Assert.That(ex.Message, Does.Contain("no device named 'Nobody'").And.Contain("Oldest Owl"));
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task Logging_in_again_keeps_the_device_and_another_account_removes_it_first()
    {
        var first = await LoginAsync();
        var again = await LoginAsync();
        Assert.That(again.AlreadyLoggedIn, Is.True);
        Assert.That(again.Session.DeviceId, Is.EqualTo(first.Session.DeviceId));
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(1));

        var other = await LoginAsync(Other);
        Assert.That(other.AlreadyLoggedIn, Is.False);
        Assert.That(Fake.Accounts[Account].Devices, Is.Empty, "the old account's device is removed");
        Assert.That(Fake.Accounts[Other].Devices, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_device_removed_elsewhere_is_registered_again_at_the_next_login()
    {
        var first = await LoginAsync();
        Fake.Accounts[Account].Devices.Clear();
        var again = await LoginAsync();
        Assert.That(again.AlreadyLoggedIn, Is.False);
        Assert.That(again.Session.DeviceId, Is.Not.EqualTo(first.Session.DeviceId));
    }

    [Test]
    public async Task Create_account_creates_one_without_time_and_logs_this_device_in()
    {
        var outcome = await Service.CreateAccountAsync(CancellationToken.None);
        var number = outcome.Session.AccountNumber;
        Assert.That(number, Has.Length.EqualTo(16));
        Assert.That(Fake.Accounts[number].Devices, Has.Count.EqualTo(1));
        Assert.That(Err, Does.Contain("no time left").And.Contain("mullvad.net/account"));
        Assert.That(Context.Logger.Secrets, Does.Contain(number));
    }

    [Test]
    public async Task Logout_removes_this_device_from_the_account_and_the_local_session()
    {
        await LoginAsync();
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.True);
        Assert.That(Fake.Accounts[Account].Devices, Is.Empty);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.False);
        Assert.That(Out, Does.Contain("Not logged in to Mullvad"));
    }

    [Test]
    public async Task Logout_removes_a_damaged_session()
    {
        Context.Store.Items["session.json"] = "{ not json";
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.True);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(Out, Does.Contain("Removed a damaged Mullvad session; the device may still be on the account"));
    }

    [Test]
    public async Task Logout_when_the_api_fails_still_removes_the_local_session_and_says_where_to_remove_the_device()
    {
        await LoginAsync();
        Fake.InjectFault("/accounts/v1/devices/" + Fake.Accounts[Account].Devices.Keys.Single(), 503, times: 2);
        Assert.That(await Service.LogoutAsync(CancellationToken.None), Is.True);
        Assert.That(Context.Store.Items, Is.Empty);
        Assert.That(Context.Logger.Lines, Has.Some.Contains("mullvad.net/account/devices"));
    }

    private void FillAccount()
    {
        var now = DateTimeOffset.UtcNow;
        Fake.AddDevice(Account, "Oldest Owl", now.AddDays(-30));
        for (var i = 2; i <= 5; i++) Fake.AddDevice(Account, $"Device {i}", now.AddDays(-10 + i));
    }
}
