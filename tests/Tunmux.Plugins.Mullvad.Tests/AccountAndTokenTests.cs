using System.Text.Json.Nodes;
using Tunmux.Contracts;
using Tunmux.Plugins.Mullvad.Account;

namespace Tunmux.Plugins.Mullvad.Tests;

public sealed class AccountAndTokenTests : MullvadFixture
{
    [Test]
    public async Task Info_shows_expiry_device_and_device_count()
    {
        await LoginAsync();
        Fake.AddDevice(Account, "Other Laptop", DateTimeOffset.UtcNow.AddDays(-3));
        var info = await Service.InfoAsync(CancellationToken.None);

        Assert.That(info.MaskedAccount, Is.EqualTo("**** **** **** 3456"));
        Assert.That(info.Expiry, Is.EqualTo(Fake.Accounts[Account].Expiry).Within(TimeSpan.FromSeconds(1)));
        Assert.That(info.DeviceCount, Is.EqualTo(2));
        Assert.That(info.MaxDevices, Is.EqualTo(5));
        Assert.That(info.DeviceName, Is.EqualTo(Fake.Accounts[Account].Devices.Values.Single(d => d.Name != "Other Laptop").Name));
        AssertNumberNotShown();
    }

    [Test]
    public async Task Info_for_a_device_removed_elsewhere_says_to_log_in_again()
    {
        await LoginAsync();
        Fake.Accounts[Account].Devices.Clear();
        var ex = Assert.ThrowsAsync<Api.MullvadApiException>(() => Service.InfoAsync(CancellationToken.None))!;
        Assert.That(ex.Code, Is.EqualTo("DEVICE_NOT_FOUND"));
        Assert.That(ex.Message, Does.Contain("tunmux mullvad login"));
    }

    [Test]
    public void Info_without_a_login_says_how_to_log_in()
    {
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.InfoAsync(CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("not logged in to Mullvad").And.Contain("tunmux mullvad login"));
    }

    [Test]
    public async Task The_access_token_is_reused_between_commands_until_it_nears_expiry()
    {
        await LoginAsync();
        var issued = Fake.TokensIssued;
        await NewService().InfoAsync(CancellationToken.None);
        Assert.That(Fake.TokensIssued, Is.EqualTo(issued), "a fresh stored token is reused");

        // A stored token within a minute of its expiry is replaced before use.
        var stored = JsonNode.Parse(Context.Store.Items[SessionStore.Item])!;
        stored["access_token_expiry"] = DateTimeOffset.UtcNow.AddSeconds(30).ToString("O");
        Context.Store.Items[SessionStore.Item] = stored.ToJsonString();
        await NewService().InfoAsync(CancellationToken.None);
        Assert.That(Fake.TokensIssued, Is.EqualTo(issued + 1));
    }

    [Test]
    public async Task A_token_the_api_rejects_is_replaced_once_and_the_call_repeated()
    {
        await LoginAsync();
        Fake.RevokeAccessTokens();
        var issued = Fake.TokensIssued;
        var info = await NewService().InfoAsync(CancellationToken.None);
        Assert.That(info.DeviceCount, Is.EqualTo(1));
        Assert.That(Fake.TokensIssued, Is.EqualTo(issued + 1));
        Assert.That(Context.Store.Items[SessionStore.Item], Does.Contain(Fake.LastHeaders["GET /accounts/v1/devices"].Authorization.ToString()["Bearer ".Length..]),
            "the new token is kept for the next command");
    }

    [Test]
    public async Task A_damaged_stored_session_is_one_line_saying_to_log_in_again()
    {
        Context.Store.Items[SessionStore.Item] = "{not json";
        var ex = Assert.ThrowsAsync<ProviderException>(() => Service.InfoAsync(CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("damaged").And.Contain("tunmux mullvad login"));
        await LoginAsync();
        Assert.That(Fake.Accounts[Account].Devices, Has.Count.EqualTo(1), "login replaces a damaged session");
    }
}
