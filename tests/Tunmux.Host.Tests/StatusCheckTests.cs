using NUnit.Framework;
using Tunmux.Host.Connections;

namespace Tunmux.Host.Tests;

public class StatusCheckTests
{
    [TestCase("198.51.100.7\n", "198.51.100.7")]
    [TestCase("2001:db8::1", "2001:db8::1")]
    [TestCase("{\"ip\":\"203.0.113.9\",\"country\":\"SE\"}", "203.0.113.9")]
    [TestCase("<html>blocked</html>", null)]
    [TestCase("{\"ip\":5}", null)]
    [TestCase("{not json", null)]
    public void The_answer_of_a_what_is_my_ip_service_is_an_address_or_nothing(string body, string? expected) =>
        Assert.That(ExitCheck.Parse(body), Is.EqualTo(expected));

    [Test]
    public void Check_without_a_check_url_says_how_to_set_one_and_contacts_nobody()
    {
        using var cli = new CliHarness("testgood");
        var code = cli.Run("status", "--check");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Not.Zero);
            Assert.That(cli.Err, Does.Contain("check_url").And.Contain("config.toml"));
        });
    }
}
