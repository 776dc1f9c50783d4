using System.Text;
using Tunmux.Fakes.Proton;
using Tunmux.Plugins.Proton.Keys;
using Tunmux.Plugins.Proton.Servers;

namespace Tunmux.Plugins.Proton.Tests;

public sealed class KeysAndParserTests
{
    [Test]
    public void WireGuard_public_key_is_the_montgomery_form_of_the_ed25519_key()
    {
        for (var i = 0; i < 20; i++)
        {
            var keys = VpnKeys.Generate();
            Assert.That(keys.WireGuardPublicKey, Is.EqualTo(Curve25519.EdwardsToMontgomery(keys.Ed25519PublicKey)));
            var restored = VpnKeys.FromBase64(keys.Ed25519SeedBase64);
            Assert.That(restored.WireGuardPrivateKeyBase64, Is.EqualTo(keys.WireGuardPrivateKeyBase64));
        }
    }

    [Test]
    public void WireGuard_private_key_is_clamped()
    {
        var key = VpnKeys.Generate().WireGuardPrivateKey;
        Assert.That(key[0] & 7, Is.Zero);
        Assert.That(key[31] & 0xC0, Is.EqualTo(0x40));
    }

    [Test]
    public void Public_key_pem_is_spki()
    {
        var pem = VpnKeys.Generate().Ed25519PublicKeyPem();
        Assert.That(pem, Does.StartWith("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
    }

    [Test]
    public void Parser_reads_the_fields_and_skips_the_rest()
    {
        var servers = LogicalsParser.Parse(Encoding.UTF8.GetBytes(TestLogicals.Json));
        Assert.That(servers, Has.Count.EqualTo(8));
        var us1 = servers.Single(s => s.Name == "US#1");
        Assert.Multiple(() =>
        {
            Assert.That(us1.ExitCountry, Is.EqualTo("US"));
            Assert.That(us1.Tier, Is.EqualTo(2));
            Assert.That(us1.Features, Is.EqualTo(ServerFeatures.P2P));
            Assert.That(us1.Score, Is.EqualTo(1.5));
            Assert.That(us1.Load, Is.EqualTo(40));
            Assert.That(us1.Servers, Has.Count.EqualTo(2));
            Assert.That(us1.BestPhysical!.EntryIp, Is.EqualTo("198.18.2.2"));
            Assert.That(us1.BestPhysical!.Label, Is.EqualTo("1"));
        });
    }

    [Test]
    public void Parser_handles_a_generated_list_of_15000_quickly()
    {
        var json = LogicalsGenerator.Generate(15000);
        LogicalsParser.Parse(json); // warm up
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var servers = LogicalsParser.Parse(json);
        sw.Stop();
        Assert.That(servers, Has.Count.EqualTo(15000));
        Assert.That(sw.ElapsedMilliseconds, Is.LessThan(2000), "parsing 15,000 logicals should take tens of milliseconds");
    }

    [Test]
    public void Parser_refuses_error_answers_and_garbage()
    {
        Assert.Throws<Tunmux.Contracts.ProviderException>(() => LogicalsParser.Parse("{\"Code\":2000,\"LogicalServers\":[]}"u8));
        Assert.Throws<Tunmux.Contracts.ProviderException>(() => LogicalsParser.Parse("[1,2"u8));
        Assert.Throws<Tunmux.Contracts.ProviderException>(() => LogicalsParser.Parse("{\"Code\":1000}"u8));
    }
}

public sealed class CountryParseTests
{
    [Test]
    public void Country_parse_materializes_only_that_country_and_agrees_with_a_full_parse()
    {
        var json = LogicalsGenerator.Generate(2000, seed: 7);
        var all = LogicalsParser.Parse(json);
        var us = LogicalsParser.Parse(json, "us");
        Assert.That(us.Select(s => s.Name), Is.EqualTo(all.Where(s => s.ExitCountry == "US").Select(s => s.Name)));
        Assert.That(us, Is.Not.Empty);
        Assert.That(us[0].Servers, Is.Not.Empty);
    }

    [Test]
    public void Country_parse_still_refuses_broken_json_elsewhere_in_the_list()
    {
        var broken = "{\"Code\":1000,\"LogicalServers\":[{\"ExitCountry\":\"NL\",\"Name\":\"NL#1\",\"X\":[1,}]}"u8.ToArray();
        Assert.Throws<Tunmux.Contracts.ProviderException>(() => LogicalsParser.Parse(broken, "US"));
    }
}
