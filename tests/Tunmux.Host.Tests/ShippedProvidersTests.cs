using System.Text.Json;
using NUnit.Framework;

namespace Tunmux.Host.Tests;

/// <summary>The four VPN providers tunmux ships, each loaded from a plugins folder like a third-party plugin.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ShippedProvidersTests
{
    private static readonly string[] Providers = ["proton", "airvpn", "mullvad", "ivpn"];

    [Test]
    public void Plugins_lists_the_four_providers_and_each_loads()
    {
        using var cli = new CliHarness(Providers);
        Assert.That(cli.Run("plugins", "--json"), Is.Zero, cli.Err);
        var rows = JsonDocument.Parse(cli.Out).RootElement.GetProperty("plugins").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("state").GetString());
        Assert.That(rows.Keys, Is.EquivalentTo(Providers));
        Assert.That(rows.Values, Is.All.EqualTo("ok"));

        Assert.That(cli.Run("plugins"), Is.Zero, cli.Err);
        Assert.That(cli.Out.Split('\n').Count(l => Providers.Any(p => l.StartsWith(p + " ", StringComparison.Ordinal) || l.StartsWith(p + "\t", StringComparison.Ordinal))),
            Is.EqualTo(4), "one table row per provider:\n" + cli.Out);
    }

    [TestCase("mullvad")]
    [TestCase("ivpn")]
    public void Each_new_provider_offers_its_verbs(string provider)
    {
        using var cli = new CliHarness(provider);
        cli.Run(provider, "--help");
        var help = cli.Out + cli.Err;
        foreach (var verb in new[] { "login", "logout", "info", "servers", "connect", "disconnect", "create-account" })
            Assert.That(help, Does.Contain(verb), $"{provider} --help names {verb}");
        foreach (var line in new[]
        {
            "login", "login --account-stdin --force", "servers --country se --city got --sort latency --json",
            "connect --proxy --country se --port 51820", "create-account --json", "info --json", "logout", "disconnect --all",
        })
        {
            Assert.That(cli.Parse([provider, .. line.Split(' ')]), Is.Zero, $"{provider} {line}: {cli.Err}");
            Assert.That(cli.Parsed, Is.EqualTo($"{provider} {line.Split(' ')[0]}"));
        }
    }
}
